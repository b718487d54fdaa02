// One WebSocket client. Reads text frames, checks the rate limit, parses them and hands them to the
// hub; writes what the hub sends through a bounded queue, one write in flight at a time (the
// Beast chat-multi pattern). All state lives on the session's strand; send() and close() only post.
//
// Subprotocol: when the client offers "outloud.v1" the handshake answers it. A client that offers
// none is accepted (the contract), and so is one offering only other subprotocols: the response
// then names none, which a client that insists on its own protocol treats as a refusal by itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "outloud/protocol/types.hpp"
#include "server/core/connection.hpp"
#include "server/net/config.hpp"
#include "server/net/token_bucket.hpp"

namespace outloud::net {

inline constexpr std::string_view kSubprotocol = "outloud.v1";

// True if a Sec-WebSocket-Protocol header of the request lists `name`.
bool offers_subprotocol(const boost::beast::http::request<boost::beast::http::string_body>& request,
                        std::string_view name);

class WebSocketSession final : public core::Connection, public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WebSocketSession(boost::beast::tcp_stream&& stream, std::shared_ptr<ServerContext> context);
  // Completes the upgrade. Call on the stream's strand (the HTTP session's handler is).
  void run(Request request);

  // core::Connection
  void send(core::Frame frame) override;
  void close(std::uint16_t code, std::string reason) override;
  std::uint64_t id() const override { return id_; }
  std::optional<std::string> upgrade_token() const override { return upgrade_token_; }

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { handshaking, open, closing, finished };

  void on_accept(boost::system::error_code ec);
  void read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void on_frame(std::string_view text, bool is_text);
  void refuse(const std::optional<protocol::RequestId>& re, protocol::ErrorCode code, std::string_view message);

  void enqueue(core::Frame frame);
  void write_next();
  void on_write(boost::system::error_code ec, std::size_t bytes);

  // Sends a close frame once the queue is written; the socket is cut if that has not finished
  // within `timeout` (a peer that does not read would otherwise hold the session forever).
  void begin_close(std::uint16_t code, std::string reason, std::chrono::milliseconds timeout);
  void check_slow_consumer();
  void drop_slow_consumer();
  void schedule_keepalive();
  void on_keepalive(boost::system::error_code ec);
  void cut();     // shuts the TCP connection down at once; pending operations fail
  void finish();  // the read loop ended: tell the hub, exactly once

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<ServerContext> context_;
  const std::uint64_t id_;
  boost::beast::flat_buffer buffer_;
  State state_ = State::handshaking;
  bool hub_opened_ = false;
  std::optional<std::string> upgrade_token_;  // the session cookie of the upgrade request

  std::deque<core::Frame> queue_;  // waiting to be written
  core::Frame writing_;            // being written now
  std::size_t queued_bytes_ = 0;   // of queue_ and writing_
  Clock::time_point write_started_;  // of writing_
  boost::asio::steady_timer slow_timer_;  // armed while over the soft cap
  bool slow_timer_armed_ = false;
  std::optional<boost::beast::websocket::close_reason> pending_close_;  // sent when the queue is empty
  bool close_sent_ = false;

  boost::asio::steady_timer keepalive_timer_;
  boost::asio::steady_timer close_timer_;
  Clock::time_point last_heard_;
  Clock::time_point last_ping_;
  bool ping_in_flight_ = false;
  TokenBucket rate_;
};

}  // namespace outloud::net
