// Reading back what the server itself serialized: a MESSAGE object from JSON text.
// Used by stores that keep messages as JSON and by the bus to learn a published message's seq.
#pragma once

#include <optional>
#include <string_view>

#include "outloud/protocol/types.hpp"

namespace outloud::protocol {

// Accepts a `message` event or a bare MESSAGE object. nullopt if it is not one.
std::optional<Message> parse_message_json(std::string_view text);

}  // namespace outloud::protocol
