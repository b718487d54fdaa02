// WebSocket frame headers (RFC 6455 §5.2) by hand. Server-to-client: made here so that several
// queued frames can leave a connection in one gathered write; server frames are never masked and
// never fragmented here (FIN is always set); no extension is negotiated, so RSV bits stay clear.
// Client-to-server: read here, so that a connection waiting for its next frame holds no reader
// state beyond a few bytes (Beast's reader keeps a 1.5 KiB buffer in every stream).
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

// A client frame's header, read from the first bytes received.
struct ClientHeader {
  enum class Status { incomplete, ok, protocol_error };
  Status status = Status::incomplete;
  bool fin = false;
  Opcode opcode = Opcode::text;  // 0 (continuation) is kept as its raw value
  std::uint8_t raw_opcode = 0;
  std::array<std::uint8_t, 4> mask{};
  std::uint64_t payload_size = 0;
  std::size_t header_size = 0;  // 6, 8 or 14
};

inline constexpr std::uint8_t kContinuation = 0x0;
inline bool is_control(std::uint8_t raw_opcode) { return raw_opcode >= 0x8; }

// Reads the header at the start of `data`: incomplete until all its bytes are there; a protocol
// error (RFC 6455 §5.2, §5.5) for RSV bits (no extension is negotiated), an unknown opcode, an
// unmasked frame (a client must mask), a fragmented or over-125-byte control frame, or a length
// not in its shortest form or with the 64-bit form's top bit set.
ClientHeader read_client_header(const std::uint8_t* data, std::size_t size);

// XORs `size` payload bytes with the mask, `offset` bytes into the payload.
void unmask(std::uint8_t* data, std::size_t size, const std::array<std::uint8_t, 4>& mask, std::uint64_t offset = 0);

// The first byte of an already framed frame names its opcode: used to recognise the close frame
// Beast writes on its own.
inline Opcode opcode_of(std::uint8_t first_byte) { return static_cast<Opcode>(first_byte & 0x0F); }

}  // namespace outloud::net::ws_framing
