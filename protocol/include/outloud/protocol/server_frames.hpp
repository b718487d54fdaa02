// Serializers of every frame the server sends. Each returns the complete JSON text of one frame,
// ready to be shared by every recipient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::protocol {

using OptId = std::optional<RequestId>;

std::string error_frame(const OptId& re, ErrorCode code, std::string_view message);
std::string welcome_frame(const OptId& re, const User& user, std::string_view session, std::string_view node,
                          std::int64_t server_time);
std::string pong_frame(const OptId& re);
std::string ok_frame(const OptId& re);

std::string created_frame(const OptId& re, const Room& room);
// `next`: the cursor for the following page (the last id of this one) when more rooms remain.
std::string rooms_frame(const OptId& re, const std::vector<RoomListing>& rooms,
                        const std::optional<std::string>& next = std::nullopt);

struct JoinedReply {
  Room room;
  std::vector<PresenceEntry> presence;
  std::vector<Message> messages;
  std::int64_t head = 0;
  bool recovered = false;
  Role role = Role::member;  // serialized as "you":{"role":...}
  std::string session_json = "{}";  // the room's facilitation state, already JSON (raw)
};
std::string joined_frame(const OptId& re, const JoinedReply& reply);
std::string left_frame(const OptId& re, std::string_view room);

std::string sent_frame(const OptId& re, std::string_view room, std::int64_t seq, std::int64_t ts);
std::string history_frame(const OptId& re, std::string_view room, const std::vector<Message>& messages);

// Events (no `re`).
std::string message_event(const Message& message);
std::string typing_event(std::string_view room, const User& user, std::string_view topic);
std::string presence_event(std::string_view room, PresenceEvent event, const User& user, PresenceState state);

// Building blocks for other serializers (facilitation frames): JSON text of one value.
std::string user_json(const User& user);
std::string room_json(const Room& room);
std::string message_json(const Message& message);

}  // namespace outloud::protocol
