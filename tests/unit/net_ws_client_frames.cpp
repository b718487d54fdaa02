// Client frames read by hand (server/net/ws_framing.hpp read_client_header, unmask): what Beast's own
// client writes — every length class, fragmented messages, pings between, the close — read back
// byte for byte; and the headers RFC 6455 forbids are protocol errors, the short ones incomplete.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "server/net/ws_framing.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_ws_client_frames_test {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using outloud::net::ws_framing::ClientHeader;
using outloud::net::ws_framing::Opcode;
using outloud::net::ws_framing::read_client_header;
using Socket = asio::local::stream_protocol::socket;

namespace {

std::string payload_of(std::size_t size) {
  std::string text(size, 'x');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

struct Frame {
  std::uint8_t opcode;
  bool fin;
  std::string payload;
};

// True once `bytes` hold a whole close frame (the frames before it whole too).
bool has_close(const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const auto header = read_client_header(reinterpret_cast<const std::uint8_t*>(bytes.data()) + at, bytes.size() - at);
    if (header.status != ClientHeader::Status::ok || at + header.header_size + header.payload_size > bytes.size()) {
      return false;
    }
    if (header.raw_opcode == 0x8) return true;
    at += header.header_size + header.payload_size;
  }
  return false;
}

// Everything Beast's client writes after the handshake, up to its close, as raw bytes; the close
// is answered (Beast's client waits for the answer).
std::string bytes_from_beast_client(const std::function<void(websocket::stream<Socket>&)>& write) {
  asio::io_context io;
  Socket server_socket(io), client_socket(io);
  asio::local::connect_pair(server_socket, client_socket);
  websocket::stream<Socket> server(std::move(server_socket));
  websocket::stream<Socket> client(std::move(client_socket));
  boost::system::error_code client_end;
  std::thread writer([&] {
    client.handshake("localhost", "/");
    write(client);
    client.close(websocket::close_reason(websocket::close_code::going_away, "bye"), client_end);
  });
  server.accept();
  std::string bytes;
  boost::system::error_code ec;
  while (!ec && !has_close(bytes)) {
    char chunk[4096];
    bytes.append(chunk, server.next_layer().read_some(asio::buffer(chunk), ec));
  }
  const std::uint8_t answer[] = {0x88, 0x00};
  asio::write(server.next_layer(), asio::buffer(answer), ec);
  server.next_layer().close();
  writer.join();
  return bytes;
}

// Splits `bytes` into frames with read_client_header, unmasking each payload.
std::vector<Frame> read_frames(std::string bytes) {
  std::vector<Frame> frames;
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto* data = reinterpret_cast<std::uint8_t*>(bytes.data()) + at;
    const auto header = read_client_header(data, bytes.size() - at);
    REQUIRE(header.status == ClientHeader::Status::ok);
    REQUIRE(at + header.header_size + header.payload_size <= bytes.size());
    auto* payload = data + header.header_size;
    outloud::net::ws_framing::unmask(payload, header.payload_size, header.mask);
    frames.push_back({header.raw_opcode, header.fin,
                      std::string(reinterpret_cast<const char*>(payload), header.payload_size)});
    at += header.header_size + header.payload_size;
  }
  return frames;
}

ClientHeader header_of(std::vector<std::uint8_t> bytes) { return read_client_header(bytes.data(), bytes.size()); }

}  // namespace

TEST_CASE("Beast's client frames are read back: every length class, fragments, pings, the close",
          "[net][ws_framing]") {
  const std::vector<std::size_t> sizes{0, 1, 125, 126, 127, 65535, 65536, 200'000};
  const auto bytes = bytes_from_beast_client([&](websocket::stream<Socket>& client) {
    client.auto_fragment(false);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      client.write(asio::buffer(payload_of(sizes[i])));
      if (i % 2 == 1) client.ping(websocket::ping_data(std::to_string(i)));
    }
    // One message in three frames, a ping between two of them.
    client.write_some(false, asio::buffer(std::string("frag")));
    client.ping("between");
    client.write_some(false, asio::buffer(std::string("ment")));
    client.write_some(true, asio::buffer(std::string("ed")));
  });
  const auto frames = read_frames(bytes);
  std::size_t next = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    INFO("message " << i << " of " << sizes[i] << " bytes");
    REQUIRE(next < frames.size());
    CHECK(frames[next].opcode == 0x1);
    CHECK(frames[next].fin);
    CHECK(frames[next].payload == payload_of(sizes[i]));
    ++next;
    if (i % 2 == 1) {
      CHECK(frames[next].opcode == 0x9);
      CHECK(frames[next].payload == std::to_string(i));
      ++next;
    }
  }
  REQUIRE(frames.size() == next + 5);
  CHECK((frames[next].opcode == 0x1 && !frames[next].fin && frames[next].payload == "frag"));
  CHECK((frames[next + 1].opcode == 0x9 && frames[next + 1].payload == "between"));
  CHECK((frames[next + 2].opcode == 0x0 && !frames[next + 2].fin && frames[next + 2].payload == "ment"));
  CHECK((frames[next + 3].opcode == 0x0 && frames[next + 3].fin && frames[next + 3].payload == "ed"));
  CHECK(frames[next + 4].opcode == 0x8);
  CHECK(frames[next + 4].payload == std::string("\x03\xE9", 2) + "bye");
}

TEST_CASE("client headers RFC 6455 forbids are protocol errors; short ones are incomplete", "[net][ws_framing]") {
  const auto error = ClientHeader::Status::protocol_error;
  const auto incomplete = ClientHeader::Status::incomplete;
  const auto ok = ClientHeader::Status::ok;
  const std::vector<std::uint8_t> mask{1, 2, 3, 4};
  auto with_mask = [&](std::vector<std::uint8_t> bytes) {
    bytes.insert(bytes.end(), mask.begin(), mask.end());
    return bytes;
  };
  CHECK(header_of(with_mask({0x81, 0x85})).status == ok);
  CHECK(header_of(with_mask({0x81, 0x85})).header_size == 6);
  CHECK(header_of(with_mask({0xC1, 0x85})).status == error);  // RSV1 (no extension negotiated)
  CHECK(header_of(with_mask({0xA1, 0x85})).status == error);  // RSV2
  CHECK(header_of(with_mask({0x91, 0x85})).status == error);  // RSV3
  CHECK(header_of(with_mask({0x83, 0x80})).status == error);  // reserved data opcode
  CHECK(header_of(with_mask({0x8B, 0x80})).status == error);  // reserved control opcode
  CHECK(header_of({0x81, 0x05}).status == error);             // unmasked
  CHECK(header_of(with_mask({0x09, 0x80})).status == error);  // fragmented ping
  CHECK(header_of(with_mask({0x89, 0xFE, 0x00, 0x7E})).status == error);  // a 126-byte ping
  CHECK(header_of(with_mask({0x89, 0xFD})).status == ok);                 // a 125-byte ping
  CHECK(header_of(with_mask({0x81, 0xFE, 0x00, 0x7D})).status == error);  // 125 in the 16-bit form
  CHECK(header_of(with_mask({0x81, 0xFE, 0x00, 0x7E})).payload_size == 126);
  CHECK(header_of(with_mask({0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF})).status == error);  // 65535 in 64 bits
  CHECK(header_of(with_mask({0x81, 0xFF, 0x80, 0, 0, 0, 0, 1, 0, 0})).status == error);     // top bit set
  const auto large = header_of(with_mask({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}));
  CHECK(large.status == ok);
  CHECK(large.payload_size == 65536);
  CHECK(large.header_size == 14);
  CHECK(header_of({0x81}).status == incomplete);
  CHECK(header_of({0x81, 0x85, 1, 2, 3}).status == incomplete);
  CHECK(header_of({0x81, 0xFE, 0x00}).status == incomplete);
  CHECK(header_of({0x81, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3}).status == incomplete);
}

TEST_CASE("unmask continues the mask across pieces of a payload", "[net][ws_framing]") {
  const std::array<std::uint8_t, 4> mask{0x11, 0x22, 0x33, 0x44};
  std::string text = "hello, world";
  std::vector<std::uint8_t> masked(text.begin(), text.end());
  for (std::size_t i = 0; i < masked.size(); ++i) masked[i] ^= mask[i % 4];
  outloud::net::ws_framing::unmask(masked.data(), 5, mask);
  outloud::net::ws_framing::unmask(masked.data() + 5, masked.size() - 5, mask, 5);
  CHECK(std::string(masked.begin(), masked.end()) == text);
}

}  // namespace net_ws_client_frames_test
