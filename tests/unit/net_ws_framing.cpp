// Hand-made server frames (server/net/ws_framing.hpp) read back by Beast's own client: every
// length class, pings between messages, and the close, all sent in one gathered write as the
// connection's writer sends them.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "server/net/ws_framing.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_ws_framing_test {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using outloud::net::ws_framing::frame_header;
using outloud::net::ws_framing::Opcode;
using Socket = asio::local::stream_protocol::socket;

namespace {

struct Outgoing {
  Opcode opcode;
  std::string payload;
};

std::string payload_of(std::size_t size) {
  std::string text(size, 'x');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

// What a Beast client saw: messages in order, then the close.
struct Seen {
  std::vector<std::string> messages;
  std::vector<std::string> pings;  // recorded as "@<index of next message>:<payload>"
  boost::system::error_code end;
  websocket::close_reason close;
};

Seen send_through_beast(const std::vector<Outgoing>& frames) {
  asio::io_context io;
  Socket server_socket(io), client_socket(io);
  asio::local::connect_pair(server_socket, client_socket);
  websocket::stream<Socket> server(std::move(server_socket));
  websocket::stream<Socket> client(std::move(client_socket));

  Seen seen;
  std::thread reader([&] {
    client.handshake("localhost", "/");
    client.control_callback([&](websocket::frame_type kind, boost::beast::string_view payload) {
      if (kind == websocket::frame_type::ping) {
        seen.pings.push_back("@" + std::to_string(seen.messages.size()) + ":" + std::string(payload));
      }
    });
    boost::beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code ec;
      client.read(buffer, ec);
      if (ec) {
        seen.end = ec;
        seen.close = client.reason();
        return;
      }
      seen.messages.push_back(boost::beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
  });
  server.accept();

  // One gathered write of header + payload pairs, as the session's writer does.
  std::vector<outloud::net::ws_framing::Header> headers;
  headers.reserve(frames.size());
  std::vector<asio::const_buffer> gather;
  for (const auto& frame : frames) {
    headers.push_back(frame_header(frame.opcode, frame.payload.size()));
    gather.emplace_back(headers.back().data(), headers.back().size);
    gather.emplace_back(frame.payload.data(), frame.payload.size());
  }
  asio::write(server.next_layer(), gather);
  // The client answers the close and then waits for the end of the stream (its TCP teardown).
  server.next_layer().shutdown(Socket::shutdown_send);
  reader.join();
  return seen;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload += reason;
  return payload;
}

}  // namespace

TEST_CASE("frame headers use the shortest length encoding", "[net][ws_framing]") {
  auto bytes = [](Opcode opcode, std::uint64_t size) {
    const auto header = frame_header(opcode, size);
    return std::vector<int>(header.bytes.begin(), header.bytes.begin() + header.size);
  };
  CHECK(bytes(Opcode::text, 0) == std::vector<int>{0x81, 0});
  CHECK(bytes(Opcode::text, 125) == std::vector<int>{0x81, 125});
  CHECK(bytes(Opcode::text, 126) == std::vector<int>{0x81, 126, 0, 126});
  CHECK(bytes(Opcode::text, 65535) == std::vector<int>{0x81, 126, 0xFF, 0xFF});
  CHECK(bytes(Opcode::text, 65536) == std::vector<int>{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0});
  CHECK(bytes(Opcode::ping, 0) == std::vector<int>{0x89, 0});
  CHECK(bytes(Opcode::pong, 3) == std::vector<int>{0x8A, 3});
  CHECK(bytes(Opcode::close, 2) == std::vector<int>{0x88, 2});
}

TEST_CASE("Beast's reader reads hand-framed text of every length class, pings between, then the close",
          "[net][ws_framing]") {
  const std::vector<std::size_t> sizes{0, 1, 125, 126, 127, 65535, 65536, 200'000};
  std::vector<Outgoing> frames;
  frames.push_back({Opcode::ping, "first"});
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    frames.push_back({Opcode::text, payload_of(sizes[i])});
    if (i % 2 == 1) frames.push_back({Opcode::ping, std::to_string(i)});
  }
  frames.push_back({Opcode::pong, "unasked"});  // an unsolicited pong is allowed and ignored
  frames.push_back({Opcode::text, "last"});
  frames.push_back({Opcode::close, close_payload(1001, "going away")});

  const auto seen = send_through_beast(frames);
  REQUIRE(seen.messages.size() == sizes.size() + 1);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    INFO("message " << i << " of " << sizes[i] << " bytes");
    CHECK(seen.messages[i] == payload_of(sizes[i]));
  }
  CHECK(seen.messages.back() == "last");
  CHECK(seen.pings == std::vector<std::string>{"@0:first", "@2:1", "@4:3", "@6:5", "@8:7"});
  CHECK(seen.end == websocket::error::closed);
  CHECK(seen.close.code == 1001);
  CHECK(seen.close.reason == "going away");
}

TEST_CASE("a close with the largest control payload is read whole", "[net][ws_framing]") {
  const std::string reason(outloud::net::ws_framing::kMaxControlPayload - 2, 'r');
  const auto seen = send_through_beast({{Opcode::text, "hi"}, {Opcode::close, close_payload(1008, reason)}});
  CHECK(seen.messages == std::vector<std::string>{"hi"});
  CHECK(seen.end == websocket::error::closed);
  CHECK(seen.close.code == 1008);
  CHECK(std::string(seen.close.reason.data(), seen.close.reason.size()) == reason);
}

}  // namespace net_ws_framing_test
