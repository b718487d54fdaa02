// One WebSocket client. Reads text frames, checks the rate limit, parses them and hands them to the
// hub; writes what the hub sends through a bounded queue. One writer owns the socket's write side:
// it frames queued messages by hand (ws_framing.hpp) and sends up to a batch of them in one
// gathered write; Beast's own pongs and close frames reach it through the WriteFunnel under Beast,
// and keepalive pings are queued like messages. Beast does the handshake and all reading. All
// state lives on the session's strand; send() and close() only post.
//
// Subprotocol: when the client offers "outloud.v1" the handshake answers it. A client that offers
// none is accepted (the contract), and so is one offering only other subprotocols: the response
// then names none, which a client that insists on its own protocol treats as a refusal by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "outloud/protocol/types.hpp"
#include "server/core/connection.hpp"
#include "server/net/config.hpp"
#include "server/net/token_bucket.hpp"
#include "server/net/write_funnel.hpp"
#include "server/net/ws_framing.hpp"

namespace outloud::net {

inline constexpr std::string_view kSubprotocol = "outloud.v1";

// True if a Sec-WebSocket-Protocol header of the request lists `name`.
bool offers_subprotocol(const boost::beast::http::request<boost::beast::http::string_body>& request,
                        std::string_view name);

class WebSocketSession final : public core::Connection,
                               public WriteSink,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WebSocketSession(boost::beast::tcp_stream&& stream, std::shared_ptr<ServerContext> context,
                   Admission::Ticket ticket);
  // Completes the upgrade. Call on the stream's strand (the HTTP session's handler is).
  void run(Request request);

  // core::Connection
  void send(core::Frame frame) override;
  void close(std::uint16_t code, std::string reason) override;
  void greeted() override;
  std::uint64_t id() const override { return id_; }
  std::optional<std::string> upgrade_token() const override { return upgrade_token_; }

 private:
  using Clock = std::chrono::steady_clock;
  using Timer = boost::asio::basic_waitable_timer<Clock, boost::asio::wait_traits<Clock>, ConnectionStrand>;
  enum class State { handshaking, open, closing, finished };

  void on_accept(boost::system::error_code ec);
  void read();
  // Reading pauses while the send queue is over its cap (the client asks faster than it reads)
  // and resumes once a write brings it back under: such a client costs at most its queue.
  bool over_queue_cap() const;
  void resume_reading();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void on_frame(std::string_view text, bool is_text);
  void refuse(const std::optional<protocol::RequestId>& re, protocol::ErrorCode code, std::string_view message);

  // One queued frame: a message or a ping framed here, or whole frames Beast made (pong, close).
  struct Outgoing {
    core::Frame payload;  // null for an empty ping
    ws_framing::Opcode opcode = ws_framing::Opcode::text;
    bool framed = false;  // payload is Beast's, already framed
    std::size_t bytes() const { return payload ? payload->size() : 0; }
  };

  // WriteSink: Beast's control frames jump ahead of queued messages (not of the batch in flight).
  void write_framed(std::string bytes, Done done) override;
  // Takes what send() left in the inbox, until it stays empty; then the writer (on its next
  // completion) or a post (from the next send) looks again.
  void drain_inbox();
  void close_inbox();
  void enqueue(core::Frame frame);
  void enqueue_ping();
  void write_next();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void complete_framed_write(boost::system::error_code ec);
  void drop_queued_messages();  // all but the batch in flight and Beast's frames
  void release_idle_buffers();

  // Sends a close frame once the queue is written; the socket is cut if that has not finished
  // within `timeout` (a peer that does not read would otherwise hold the session forever).
  void begin_close(std::uint16_t code, std::string reason, std::chrono::milliseconds timeout);
  void check_slow_consumer();
  void drop_slow_consumer();
  // The deadlines (hello, keepalive and idle, the close's, the slow consumer's) share one timer.
  Clock::time_point next_deadline() const;
  void schedule_deadline();
  void on_deadline(boost::system::error_code ec);
  void on_hello_deadline();
  void on_keepalive(Clock::time_point now);
  void cut();     // shuts the TCP connection down at once; pending operations fail
  void finish();  // the read loop ended: tell the hub, exactly once

  boost::beast::websocket::stream<WriteFunnel, false> ws_;  // no permessage-deflate: none is offered
  std::shared_ptr<ServerContext> context_;
  Admission::Ticket ticket_;  // this connection's place under the connection caps
  const std::uint64_t id_;
  boost::beast::flat_buffer buffer_;  // the message being read (empty while waiting for one)
  char first_byte_ = 0;               // a message's first byte (see read())
  State state_ = State::handshaking;
  bool hub_opened_ = false;
  bool reading_paused_ = false;  // no read pending because the send queue is over its cap
  std::optional<std::string> upgrade_token_;  // the session cookie of the upgrade request

  // Frames sent from other strands (the hub's) wait here: one lock per frame, one post per burst
  // while the writer is idle, none while it is busy (it drains on completion).
  std::mutex inbox_mutex_;
  std::vector<core::Frame> inbox_;  // guarded by inbox_mutex_, as are the four below
  std::size_t inbox_bytes_ = 0;
  bool inbox_posted_ = false;       // a drain_inbox is posted
  bool inbox_writer_busy_ = false;  // a write is in flight: its completion drains
  bool inbox_closed_ = false;       // finished: further frames are dropped
  std::vector<core::Frame> draining_;  // strand only
  bool batching_ = false;              // drain_inbox is queueing: write once it is done

  // The first in_flight_ are being written, the rest wait. A vector, not a deque: an empty deque
  // still holds a 512-byte block, and most connections are idle.
  std::vector<Outgoing> queue_;
  std::size_t in_flight_ = 0;
  std::size_t queued_bytes_ = 0;    // payload bytes of queue_
  std::vector<ws_framing::Header> batch_headers_;  // of the batch in flight
  std::vector<boost::asio::const_buffer> batch_;   // header and payload of each frame in flight
  Done framed_done_;                // Beast's write, queued or in flight (Beast has one at a time)
  std::size_t framed_bytes_ = 0;
  Clock::time_point write_started_;  // of the batch in flight
  std::optional<Clock::time_point> slow_deadline_;  // set while over the soft cap
  // Handed to Beast when the queue is empty; on the heap, as only a closing connection has one.
  std::unique_ptr<boost::beast::websocket::close_reason> pending_close_;
  bool close_sent_ = false;

  Timer timer_;  // at the earliest deadline (next_deadline())
  bool timer_armed_ = false;
  Clock::time_point hello_deadline_;    // closes a connection that does not say hello in time
  std::atomic<bool> greeted_{false};    // set by the hub, from its own strand
  std::optional<Clock::time_point> close_deadline_;  // the socket is cut if the close has not finished
  Clock::time_point last_heard_;
  Clock::time_point last_ping_;
  bool ping_queued_ = false;
  TokenBucket rate_;
};

}  // namespace outloud::net
