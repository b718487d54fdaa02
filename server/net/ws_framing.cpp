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

ClientHeader read_client_header(const std::uint8_t* data, std::size_t size) {
  ClientHeader header;
  if (size < 2) return header;
  const auto error = [&header] {
    header.status = ClientHeader::Status::protocol_error;
    return header;
  };
  header.fin = (data[0] & 0x80) != 0;
  if ((data[0] & 0x70) != 0) return error();  // RSV1-3
  header.raw_opcode = data[0] & 0x0F;
  switch (header.raw_opcode) {
    case kContinuation: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA: break;
    default: return error();
  }
  header.opcode = static_cast<Opcode>(header.raw_opcode);
  if ((data[1] & 0x80) == 0) return error();  // unmasked
  const std::uint8_t length7 = data[1] & 0x7F;
  std::size_t at = 2;
  if (length7 == 126) {
    if (size < at + 2) return header;
    header.payload_size = (std::uint64_t{data[2]} << 8) | data[3];
    if (header.payload_size < 126) return error();
    at += 2;
  } else if (length7 == 127) {
    if (size < at + 8) return header;
    for (int i = 0; i < 8; ++i) header.payload_size = (header.payload_size << 8) | data[2 + i];
    if (header.payload_size <= 0xFFFF || (header.payload_size >> 63) != 0) return error();
    at += 8;
  } else {
    header.payload_size = length7;
  }
  if (is_control(header.raw_opcode) && (!header.fin || header.payload_size > kMaxControlPayload)) return error();
  if (size < at + 4) return header;
  for (int i = 0; i < 4; ++i) header.mask[i] = data[at + i];
  header.header_size = at + 4;
  header.status = ClientHeader::Status::ok;
  return header;
}

void unmask(std::uint8_t* data, std::size_t size, const std::array<std::uint8_t, 4>& mask, std::uint64_t offset) {
  for (std::size_t i = 0; i < size; ++i) data[i] ^= mask[(offset + i) & 3];
}

}  // namespace outloud::net::ws_framing
