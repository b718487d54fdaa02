// What travels on a room's pub/sub channel: a compact header, then the frame text exactly as the
// room's clients receive it, so a receiving node shares the bytes without re-serializing.
//
//   "O1" KIND SEQ EXCLUDE COUNT USER... PAYLOAD
//   KIND: 'm' message, 'e' event, 's' state; the other fields are "<length>:<bytes>" (decimal length).
//
// The append script writes the same header for messages: "O1m" <seq> "0:" "1:0" <event JSON>.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/backend/bus.hpp"

namespace outloud::redis {

std::string encode_envelope(const backend::BusEvent& event);
// The event (room left empty: the channel names it), or nullopt if `text` is not an envelope.
std::optional<backend::BusEvent> decode_envelope(std::string_view text);

}  // namespace outloud::redis
