// One WebSocket client. Reads text frames, checks the rate limit, parses them and hands them to the
// hub; writes what the hub sends through a bounded queue. Beast does the handshake; after it, the
// session reads and writes frames itself (ws_framing.hpp), so that a waiting connection holds no
// buffer: it waits for the socket to be readable, reads what is there, and keeps only the bytes of
// an unfinished frame. One writer owns the socket's write side: it frames queued messages, pongs,
// pings and the close by hand and sends up to a batch of them in one gathered write. All state
// lives on the session's strand; send() and close() only post.
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
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "outloud/protocol/types.hpp"
#include "server/core/connection.hpp"
#include "server/net/config.hpp"
#include "server/net/token_bucket.hpp"
#include "server/net/ws_framing.hpp"

namespace outloud::net {

inline constexpr std::string_view kSubprotocol = "outloud.v1";

// The executor of everything a WebSocket connection does: its strand, by its concrete type (a
// type-erased one costs a heap allocation in every pending operation's work guard).
using ConnectionStrand = boost::asio::strand<boost::asio::io_context::executor_type>;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionStrand>;

// True if a Sec-WebSocket-Protocol header of the request lists `name`.
bool offers_subprotocol(const boost::beast::http::request<boost::beast::http::string_body>& request,
                        std::string_view name);

class WebSocketSession final : public core::Connection, public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WebSocketSession(boost::beast::tcp_stream&& stream, std::shared_ptr<ServerContext> context,
                   Admission::Ticket ticket);
  // Completes the upgrade. Call on the stream's strand (the HTTP session's handler is).
  void run(Request request);

  // core::Connection
  void send(core::Frame frame) override;
  void send_many(const core::Frame* frames, std::size_t count, core::MessageOrigin origin = {}) override;
  void close(std::uint16_t code, std::string reason) override;
  void greeted() override;
  std::uint64_t id() const override { return id_; }
  std::optional<std::string> upgrade_token() const override { return upgrade_token_; }
  std::string client() const override { return client_; }

 private:
  using Clock = std::chrono::steady_clock;
  using Timer = boost::asio::basic_waitable_timer<Clock, boost::asio::wait_traits<Clock>, ConnectionStrand>;
  enum class State { handshaking, open, closing, finished };

  using Handshake = boost::beast::websocket::stream<ConnectionSocket, false>;

  void on_accept(boost::system::error_code ec);
  // Handles the frames buffered, then waits for the socket to be readable (unless paused or done).
  void read();
  void on_readable(boost::system::error_code ec);
  // Handles each whole frame in buffer_; false once reading must stop (paused, closing, failed).
  bool handle_buffered_frames();
  bool handle_control(const ws_framing::ClientHeader& header, std::string_view payload);
  void on_message(std::string_view text, bool is_text);
  void on_peer_close(std::string_view payload);
  // _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): a close frame with `code`, then TCP ends.
  void fail(std::uint16_t code, std::string_view reason);
  // Reading pauses while the send queue is over its cap (the client asks faster than it reads)
  // and resumes once a write brings it back under: such a client costs at most its queue.
  bool over_queue_cap() const;
  void resume_reading();
  void read_failed(boost::system::error_code ec);
  void on_frame(std::string_view text, bool is_text);
  void refuse(const std::optional<protocol::RequestId>& re, protocol::ErrorCode code, std::string_view message);

  // One queued frame, framed when written.
  struct Outgoing {
    core::Frame payload;  // null for an empty ping
    ws_framing::Opcode opcode = ws_framing::Opcode::text;
    bool ahead = false;  // a pong or the close, queued ahead of messages
    Clock::time_point queued_at;  // when it was sent (for outloud_socket_queue_seconds)
    core::MessageOrigin origin;   // messages: when sent, how many (for outloud_delivery_seconds)
    std::size_t bytes() const { return payload ? payload->size() : 0; }
  };

  // A pong or the close jumps ahead of queued messages (not of the batch in flight); after the
  // close, nothing more is queued and what waited behind it is dropped.
  void enqueue_control(ws_framing::Opcode opcode, std::string payload);
  void enqueue_close(std::uint16_t code, std::string_view reason);
  // Takes what send() left in the inbox, until it stays empty; then the writer (on its next
  // completion) or a post (from the next send) looks again.
  void drain_inbox();
  void close_inbox();
  // A frame sent from another strand, with what it says of the messages in it.
  struct Inboxed {
    core::Frame frame;
    core::MessageOrigin origin;
  };
  void enqueue(core::Frame frame, Clock::time_point queued_at, core::MessageOrigin origin = {});
  void enqueue_ping();
  void write_next();
  // Frames queue_[0, in_flight_) into batch_: a header and the payload of each.
  void frame_batch();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void drop_queued_messages();  // all but the batch in flight and control frames
  // Gives back the write side's storage beyond an idle connection's, at once if it is a backlog's
  // worth, else once the connection has been quiet for a while (shrink_deadline_).
  void shrink_later();
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
  void linger();  // after finish: ends TCP without a reset (see the definition)
  void discard_until_closed();

  ConnectionSocket socket_;
  std::unique_ptr<Handshake> handshake_;  // Beast's stream, for the handshake only (no permessage-deflate)
  std::shared_ptr<ServerContext> context_;
  Admission::Ticket ticket_;  // this connection's place under the connection caps
  const std::uint64_t id_;
  // Reading: bytes received and not yet handled (empty while waiting), and the fragments of a
  // message that came in several frames (empty otherwise).
  boost::beast::flat_buffer buffer_;
  std::string fragments_;
  boost::beast::websocket::detail::utf8_checker utf8_;  // of the text message being read
  bool in_message_ = false;      // a fragmented message has begun
  bool message_is_text_ = false;
  bool reading_ = false;         // a wait for readable (or the next turn of a burst) is pending
  bool yielded_ = false;         // a turn's messages were handled: the rest waits for the next turn
  bool peer_closed_ = false;     // the peer's close frame was read
  bool failing_ = false;         // a protocol error: TCP ends once the close frame is written
  State state_ = State::handshaking;
  bool hub_opened_ = false;
  bool reading_paused_ = false;  // no read pending because the send queue is over its cap
  std::optional<std::string> upgrade_token_;  // the session cookie of the upgrade request
  std::string client_;                        // AttemptLimiter::key_of the client's address

  // Frames sent from other strands (the hub's) wait here: one lock per frame, one post per burst
  // while the writer is idle, none while it is busy (it drains on completion).
  std::mutex inbox_mutex_;
  std::vector<Inboxed> inbox_;      // guarded by inbox_mutex_, as are the five below
  std::size_t inbox_bytes_ = 0;
  Clock::time_point inbox_since_;   // when the oldest frame in inbox_ came
  bool inbox_posted_ = false;       // a drain_inbox is posted
  bool inbox_writer_busy_ = false;  // a write is in flight: its completion drains
  bool inbox_closed_ = false;       // finished: further frames are dropped
  std::vector<Inboxed> draining_;      // strand only
  bool batching_ = false;              // drain_inbox is queueing: write once it is done

  // The first in_flight_ are being written, the rest wait. A vector, not a deque: an empty deque
  // still holds a 512-byte block, and most connections are idle.
  std::vector<Outgoing> queue_;
  std::size_t in_flight_ = 0;
  std::size_t queued_bytes_ = 0;    // payload bytes of queue_
  std::vector<ws_framing::Header> batch_headers_;  // of the batch in flight
  std::vector<boost::asio::const_buffer> batch_;   // header and payload of each frame in flight
  Clock::time_point write_started_;  // of the batch in flight
  std::optional<Clock::time_point> slow_deadline_;  // set while over the soft cap
  std::optional<Clock::time_point> shrink_deadline_;  // set while it holds more than an idle connection's
  // Our close, sent once the queue is written; on the heap, as only a closing connection has one.
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
