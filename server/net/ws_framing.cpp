#include "server/net/ws_framing.hpp"

#include <cassert>

namespace outloud::net::ws_framing {

Header frame_header(Opcode opcode, std::uint64_t payload_size) {
  assert(static_cast<std::uint8_t>(opcode) < 0x8 || payload_size <= kMaxControlPayload);
  Header header;
  header.bytes[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));  // FIN
  if (payload_size <= 125) {
    header.bytes[1] = static_cast<std::uint8_t>(payload_size);
    header.size = 2;
  } else if (payload_size <= 0xFFFF) {
    header.bytes[1] = 126;
    header.bytes[2] = static_cast<std::uint8_t>(payload_size >> 8);
    header.bytes[3] = static_cast<std::uint8_t>(payload_size);
    header.size = 4;
  } else {
    header.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) header.bytes[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
    header.size = 10;
  }
  return header;
}

}  // namespace outloud::net::ws_framing
