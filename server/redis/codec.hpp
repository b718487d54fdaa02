// JSON records the Redis backends keep: rooms and presence users.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "outloud/protocol/types.hpp"

namespace outloud::redis {

std::string encode_room(const protocol::Room& room);
std::optional<protocol::Room> decode_room(std::string_view json);

std::string encode_user(const protocol::User& user);
std::optional<protocol::User> decode_user(std::string_view json);

}  // namespace outloud::redis
