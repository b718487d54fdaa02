// Server-to-client WebSocket frame headers (RFC 6455 §5.2), made by hand so that several queued
// frames can leave a connection in one gathered write. Server frames are never masked and never
// fragmented here (FIN is always set); no extension is negotiated, so RSV bits stay clear.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace outloud::net::ws_framing {

enum class Opcode : std::uint8_t { text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// A control frame (close, ping, pong) carries at most this many payload bytes.
inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxHeaderBytes = 10;

struct Header {
  std::array<std::uint8_t, kMaxHeaderBytes> bytes{};
  std::uint8_t size = 0;  // 2, 4 or 10
  const std::uint8_t* data() const { return bytes.data(); }
};

// The header of one final, unmasked frame with `payload_size` bytes of payload: 7-bit length up
// to 125, 16-bit up to 65535, 64-bit beyond. A control opcode with more than kMaxControlPayload
// bytes is the caller's bug (RFC 6455 §5.5).
Header frame_header(Opcode opcode, std::uint64_t payload_size);

// The first byte of an already framed frame names its opcode: used to recognise the close frame
// Beast writes on its own.
inline Opcode opcode_of(std::uint8_t first_byte) { return static_cast<Opcode>(first_byte & 0x0F); }

}  // namespace outloud::net::ws_framing
