#include "server/net/websocket_session.hpp"

#include "server/net/cookie.hpp"
#include "server/net/header_values.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <limits>
#include <variant>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "server/core/log.hpp"

namespace outloud::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

std::uint64_t next_connection_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

bool is_quiet_error(const error_code& ec) {
  return ec == websocket::error::closed || ec == asio::error::operation_aborted || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == beast::error::timeout;
}

}  // namespace

bool offers_subprotocol(const http::request<http::string_body>& request, std::string_view name) {
  for (auto [it, end] = request.equal_range(http::field::sec_websocket_protocol); it != end; ++it) {
    std::string_view list = it->value();
    while (!list.empty()) {
      const auto comma = list.find(',');
      if (trim_ows(list.substr(0, comma)) == name) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

namespace {

// Messages of one connection handled in one turn before the others get theirs. More than one: a
// sender's burst (messages that waited while the thread delivered) reaches the store together, is
// committed together, and goes out to each member in one write; few enough that the thread moves on.
constexpr std::size_t kMessagesPerTurn = 16;

// The HTTP session's socket, moved onto its strand's concrete type (see ConnectionStrand).
ConnectionSocket connection_socket(beast::tcp_stream&& stream) {
  auto socket = stream.release_socket();
  const auto* strand = socket.get_executor().target<ConnectionStrand>();
  auto& io = static_cast<asio::io_context&>(asio::query(socket.get_executor(), asio::execution::context));
  ConnectionSocket moved(strand ? *strand : asio::make_strand(io));
  error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return moved;  // already gone: the handshake fails on the closed socket
  moved.assign(protocol, socket.release(), ec);
  return moved;
}

}  // namespace

WebSocketSession::WebSocketSession(beast::tcp_stream&& stream, std::shared_ptr<ServerContext> context,
                                   Admission::Ticket ticket)
    : socket_(connection_socket(std::move(stream))),
      handshake_(std::make_unique<Handshake>(std::move(socket_))),
      context_(std::move(context)),
      ticket_(std::move(ticket)),
      id_(next_connection_id()),
      timer_(handshake_->get_executor()),
      rate_(context_->ws.rate_limit, context_->ws.rate_burst) {}

namespace {

// accounts mode: the `outloud_session` cookie of the upgrade request (access.md), if any.
std::optional<std::string> session_cookie_of(const WebSocketSession::Request& request) {
  const auto value = find_cookie(request[http::field::cookie], kSessionCookie);
  if (!value || value->empty()) return std::nullopt;
  return std::string(*value);
}

}  // namespace

void WebSocketSession::run(Request request) {
  const auto& limits = context_->ws;
  upgrade_token_ = session_cookie_of(request);
  error_code peer_error;
  const auto peer = handshake_->next_layer().remote_endpoint(peer_error);
  if (!peer_error) {
    client_ = client_key(peer.address(), request["X-Forwarded-For"], context_->trusted_proxies);
  }
  // Beast bounds the handshake; keepalive is ours (it pings on a fixed interval, which Beast's
  // idle pings do not).
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = limits.handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  handshake_->set_option(timeouts);

  const bool answer_subprotocol = offers_subprotocol(request, kSubprotocol);
  handshake_->set_option(websocket::stream_base::decorator([answer_subprotocol](websocket::response_type& res) {
    res.set(http::field::server, "outloud");
    if (answer_subprotocol) res.set(http::field::sec_websocket_protocol, kSubprotocol);
  }));
  handshake_->async_accept(request, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
}

void WebSocketSession::on_accept(error_code ec) {
  if (ec) {
    log::debug("ws %llu: handshake failed: %s", static_cast<unsigned long long>(id_), ec.message().c_str());
    state_ = State::finished;
    return;
  }
  state_ = State::open;
  // Beast's part is done: its stream (and the 1.5 KiB read buffer in it) goes; the socket stays.
  socket_ = std::move(handshake_->next_layer());
  handshake_.reset();
  error_code ignored;
  socket_.non_blocking(true, ignored);  // on_readable reads what is there without blocking

  last_heard_ = last_ping_ = Clock::now();

  auto self = shared_from_this();
  if (!context_->sessions.add(self)) {
    // The server is shutting down.
    read();
    begin_close(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down",
                context_->ws.close_timeout);
    return;
  }
  hub_opened_ = true;
  context_->hub->open(self);
  hello_deadline_ = last_heard_ + context_->ws.hello_timeout;
  schedule_deadline();
  read();
}

void WebSocketSession::greeted() {
  greeted_ = true;  // the deadline timer sees it when it next fires
}

void WebSocketSession::on_hello_deadline() {
  if (greeted_ || state_ != State::open) return;
  const auto seconds = std::chrono::duration<double>(context_->ws.hello_timeout).count();
  char reason[64];
  std::snprintf(reason, sizeof reason, "no hello within %g s", seconds);
  log::debug("ws %llu: %s: closing", static_cast<unsigned long long>(id_), reason);
  begin_close(static_cast<std::uint16_t>(websocket::close_code::policy_error), reason, context_->ws.close_timeout);
}

void WebSocketSession::read() {
  if (reading_ || state_ == State::finished) return;
  if (!handle_buffered_frames()) return;
  reading_ = true;
  if (buffer_.size() > 0 && yielded_) {
    // A few messages per turn (kMessagesPerTurn), then the other connections' turn: a burst cannot
    // hold the thread, and the replies to what was read (and the queue cap they may reach) are seen
    // before the rest of it.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->reading_ = false;
      self->read();
    });
    return;
  }
  if (buffer_.size() == 0) buffer_.shrink_to_fit();  // a waiting connection holds no read buffer
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

namespace {

// One read takes what the socket has, within these bounds.
constexpr std::size_t kMinRead = 512;
// How long a finished connection may wait for the peer to close TCP after our close (linger()).
constexpr std::chrono::milliseconds kLingerMax{500};
constexpr std::size_t kMaxRead = 64 * 1024;

}  // namespace

void WebSocketSession::on_readable(error_code ec) {
  reading_ = false;
  if (ec) return read_failed(ec);
  if (state_ == State::finished) return;
  const auto available = socket_.available(ec);
  if (ec) return read_failed(ec);
  const auto size = std::clamp<std::size_t>(available, kMinRead, kMaxRead);
  const auto got = socket_.read_some(buffer_.prepare(size), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
  if (ec) return read_failed(ec);
  buffer_.commit(got);
  last_heard_ = Clock::now();
  read();
}

void WebSocketSession::read_failed(error_code ec) {
  if (!is_quiet_error(ec)) log::debug("ws %llu: read: %s", static_cast<unsigned long long>(id_), ec.message().c_str());
  finish();
}

bool WebSocketSession::handle_buffered_frames() {
  using ws_framing::ClientHeader;
  const auto max_message = context_->ws.max_frame_bytes;
  yielded_ = false;
  std::size_t messages = 0;
  for (;;) {
    if (peer_closed_ || failing_ || state_ == State::finished) return false;
    if (reading_paused_) return false;
    auto* data = static_cast<std::uint8_t*>(buffer_.data().data());
    const auto header = ws_framing::read_client_header(data, buffer_.size());
    if (header.status == ClientHeader::Status::protocol_error) {
      fail(static_cast<std::uint16_t>(websocket::close_code::protocol_error), "");
      return false;
    }
    if (header.status == ClientHeader::Status::incomplete) return true;
    const bool control = ws_framing::is_control(header.raw_opcode);
    if (!control) {
      // A continuation needs a message begun; a new message must not begin inside one.
      if ((header.raw_opcode == ws_framing::kContinuation) != in_message_) {
        fail(static_cast<std::uint16_t>(websocket::close_code::protocol_error), "");
        return false;
      }
      // A message over the limit is refused from its header, before its payload is buffered.
      if (header.payload_size > max_message || fragments_.size() + header.payload_size > max_message) {
        context_->metrics.frames_received++;
        context_->metrics.refused(protocol::ErrorCode::too_large);
        log::debug("ws %llu: frame over %zu bytes, closed with 1009", static_cast<unsigned long long>(id_), max_message);
        fail(static_cast<std::uint16_t>(websocket::close_code::too_big), "");
        return false;
      }
    }
    if (buffer_.size() - header.header_size < header.payload_size) return true;  // the payload is on its way
    const auto payload_size = static_cast<std::size_t>(header.payload_size);
    auto* payload = data + header.header_size;
    ws_framing::unmask(payload, payload_size, header.mask);
    const std::string_view view(reinterpret_cast<const char*>(payload), payload_size);
    if (control) {
      if (!handle_control(header, view)) return false;
    } else {
      if (header.raw_opcode != ws_framing::kContinuation) {
        message_is_text_ = header.opcode == ws_framing::Opcode::text;
        utf8_.reset();
      }
      // Text is checked as it comes, so a bad byte closes with 1007 without waiting for the rest.
      if (message_is_text_ && (!utf8_.write(payload, payload_size) || (header.fin && !utf8_.finish()))) {
        fail(static_cast<std::uint16_t>(websocket::close_code::bad_payload), "");
        return false;
      }
      if (header.fin && !in_message_) {
        on_message(view, message_is_text_);
      } else {
        fragments_.append(view);
        in_message_ = !header.fin;
        if (header.fin) {
          on_message(fragments_, message_is_text_);
          std::string().swap(fragments_);
        }
      }
      if (header.fin) yielded_ = ++messages >= kMessagesPerTurn;
    }
    buffer_.consume(header.header_size + payload_size);
    if (state_ == State::open && over_queue_cap()) {
      reading_paused_ = true;  // on_write resumes; a close resumes too, to see the peer's answer
      log::debug("ws %llu: reading paused (%zu bytes, %zu frames queued)", static_cast<unsigned long long>(id_),
                 queued_bytes_, queue_.size());
    }
    if (yielded_) return true;
  }
}

bool WebSocketSession::handle_control(const ws_framing::ClientHeader& header, std::string_view payload) {
  switch (header.opcode) {
    case ws_framing::Opcode::ping:
      if (!close_sent_) enqueue_control(ws_framing::Opcode::pong, std::string(payload));
      return true;
    case ws_framing::Opcode::pong:
      return true;  // a sign of life, counted when it was read
    default:
      on_peer_close(payload);
      return false;
  }
}

void WebSocketSession::on_peer_close(std::string_view payload) {
  // RFC 6455 §5.5.1: no body, or a valid code and UTF-8 reason.
  std::uint16_t code = static_cast<std::uint16_t>(websocket::close_code::normal);
  if (payload.size() == 1) return fail(static_cast<std::uint16_t>(websocket::close_code::protocol_error), "");
  if (payload.size() >= 2) {
    code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]));
    if (!websocket::detail::is_valid_close_code(code)) {
      return fail(static_cast<std::uint16_t>(websocket::close_code::protocol_error), "");
    }
    websocket::detail::utf8_checker reason;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(payload.data()) + 2;
    if (!reason.write(bytes, payload.size() - 2) || !reason.finish()) {
      return fail(static_cast<std::uint16_t>(websocket::close_code::bad_payload), "");
    }
  }
  peer_closed_ = true;
  if (close_sent_) {
    finish();  // the answer to our close: the closing handshake is complete
    return;
  }
  // The answer echoes the code; once it is written, the server ends TCP (on_write).
  if (state_ == State::open) state_ = State::closing;
  enqueue_close(code, "");
}

void WebSocketSession::fail(std::uint16_t code, std::string_view reason) {
  failing_ = true;
  if (state_ == State::open) state_ = State::closing;
  if (close_sent_) return finish();
  enqueue_close(code, reason);
  close_deadline_ = Clock::now() + context_->ws.close_timeout;
  schedule_deadline();
}

void WebSocketSession::on_message(std::string_view text, bool is_text) {
  if (state_ == State::open) on_frame(text, is_text);
}

bool WebSocketSession::over_queue_cap() const {
  const auto& limits = context_->ws;
  return queued_bytes_ > limits.max_queue_bytes || queue_.size() > limits.max_queue_frames;
}

void WebSocketSession::resume_reading() {
  if (!reading_paused_ || state_ == State::finished) return;
  reading_paused_ = false;
  log::debug("ws %llu: reading resumed", static_cast<unsigned long long>(id_));
  read();
}

// The hub counts the frames it handles (and the connections it is given); frames refused here
// are counted here, so each frame is counted once.
void WebSocketSession::on_frame(std::string_view text, bool is_text) {
  const protocol::ParseLimits limits{context_->ws.max_message_chars};
  if (!rate_.try_take()) {
    // Parse anyway (bounded by the frame size) so the refusal can carry the request's `re`.
    std::optional<protocol::RequestId> re;
    if (is_text) {
      auto parsed = protocol::parse_client_frame(text, limits);
      if (auto* frame = std::get_if<protocol::ClientFrame>(&parsed)) re = frame->id;
      else re = std::get<protocol::FrameError>(parsed).id;
    }
    return refuse(re, protocol::ErrorCode::rate_limited, "too many frames: slow down");
  }
  if (!is_text) {
    return refuse(std::nullopt, protocol::ErrorCode::bad_request, "binary frames are not accepted: send JSON text");
  }
  auto parsed = protocol::parse_client_frame(text, limits);
  if (auto* error = std::get_if<protocol::FrameError>(&parsed)) {
    return refuse(error->id, error->code, error->message);
  }
  context_->hub->handle(id_, std::move(std::get<protocol::ClientFrame>(parsed)));
}

void WebSocketSession::refuse(const std::optional<protocol::RequestId>& re, protocol::ErrorCode code,
                              std::string_view message) {
  context_->metrics.frames_received++;
  context_->metrics.refused(code);
  enqueue(core::make_frame(protocol::error_frame(re, code, message)), Clock::now());
}

// ---- write side ----

namespace {

// One gathered write carries at most this much: asio passes up to 64 buffers (32 frames) to one
// sendmsg, and a bounded batch keeps a large backlog from holding every frame's memory at once.
constexpr std::size_t kMaxBatchFrames = 32;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
// Idle connections keep no batch storage beyond this many frames' worth. A connection that was
// written to keeps what it grew for kShrinkAfter more: a busy room's rounds (one every 20 ms) then
// reuse it instead of growing and freeing half a dozen vectors per round; one quiet for that long
// gives it back. Beyond kKeptBatchFrames (a backlog, not a round) it is given back at once.
constexpr std::size_t kIdleBatchFrames = 2;
constexpr std::size_t kKeptBatchFrames = 4 * kMaxBatchFrames;
constexpr std::chrono::milliseconds kShrinkAfter{250};
// Frames sent while the writer is busy wait for its completion, unless this many gather.
constexpr std::size_t kInboxDrainFrames = 64;
constexpr std::size_t kInboxDrainBytes = 64 * 1024;

}  // namespace

void WebSocketSession::send(core::Frame frame) {
  if (frame) send_many(&frame, 1);
}

void WebSocketSession::send_many(const core::Frame* frames, std::size_t count, core::MessageOrigin origin) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_closed_) return;
    // One clock read a burst: every frame of it is counted as waiting since the first came.
    if (inbox_.empty()) inbox_since_ = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      if (!frames[i]) continue;
      inbox_bytes_ += frames[i]->size();
      inbox_.push_back(Inboxed{frames[i], origin});
    }
    if (inbox_posted_) return;
    // A busy writer drains the inbox when its write completes; but a writer stuck on a client
    // that does not read would let the inbox grow unseen by the queue caps, so a large inbox is
    // drained (and checked) at once.
    const bool large = inbox_.size() >= kInboxDrainFrames || inbox_bytes_ >= kInboxDrainBytes;
    if (inbox_writer_busy_ && !large) return;
    inbox_posted_ = true;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->drain_inbox(); });
}

void WebSocketSession::drain_inbox() {
  for (;;) {
    Clock::time_point since;
    {
      std::lock_guard lock(inbox_mutex_);
      inbox_posted_ = false;
      if (inbox_.empty()) {
        inbox_writer_busy_ = in_flight_ > 0;  // if so, on_write drains next
        if (inbox_.capacity() > kKeptBatchFrames) std::vector<Inboxed>().swap(inbox_);
        break;
      }
      draining_.swap(inbox_);
      inbox_bytes_ = 0;
      since = inbox_since_;
    }
    // Queued all at once, so that they leave together in the next gathered write.
    batching_ = true;
    for (auto& item : draining_) enqueue(std::move(item.frame), since, item.origin);
    batching_ = false;
    draining_.clear();
    write_next();
  }
  if (draining_.capacity() > kKeptBatchFrames) std::vector<Inboxed>().swap(draining_);
  shrink_later();
}

void WebSocketSession::close_inbox() {
  std::vector<Inboxed> dropped;
  std::lock_guard lock(inbox_mutex_);
  inbox_closed_ = true;
  inbox_posted_ = true;  // no more posts
  dropped.swap(inbox_);
}

void WebSocketSession::close(std::uint16_t code, std::string reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    // What was sent before the close (a `sent` waiting in the inbox behind a busy write, say the last
    // ack of a shutdown's drain) leaves before the close frame: once closing, nothing more is queued.
    self->drain_inbox();
    self->begin_close(code, std::move(reason), self->context_->ws.close_timeout);
  });
}

void WebSocketSession::enqueue(core::Frame frame, Clock::time_point queued_at, core::MessageOrigin origin) {
  // Closing: nothing more goes out but the close frame.
  if (state_ != State::open || close_sent_ || !frame) return;
  queued_bytes_ += frame->size();
  queue_.push_back(Outgoing{std::move(frame), ws_framing::Opcode::text, false, queued_at, origin});
  write_next();
  check_slow_consumer();
}

void WebSocketSession::enqueue_ping() {
  // A ping still queued behind unread messages is enough.
  if (ping_queued_ || close_sent_) return;
  ping_queued_ = true;
  queue_.push_back(Outgoing{nullptr, ws_framing::Opcode::ping, false, Clock::now(), {}});
  write_next();
}

void WebSocketSession::enqueue_control(ws_framing::Opcode opcode, std::string payload) {
  // Behind the control frames already waiting (pongs answer pings in order), ahead of messages.
  auto at = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  while (at != queue_.end() && at->ahead) ++at;
  queued_bytes_ += payload.size();
  queue_.insert(at, Outgoing{core::make_frame(std::move(payload)), opcode, true, Clock::now(), {}});
  write_next();
}

void WebSocketSession::enqueue_close(std::uint16_t code, std::string_view reason) {
  if (close_sent_) return;
  // Nothing may follow a close frame: what waits behind it is dropped.
  close_sent_ = true;
  drop_queued_messages();
  std::string payload;
  payload.reserve(2 + reason.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, ws_framing::kMaxControlPayload - 2));
  enqueue_control(ws_framing::Opcode::close, std::move(payload));
}

// Over the caps, a client whose current write has been stuck for slow_grace is not reading (fast
// enough): drop it. A client that reads keeps completing writes and rides out bursts, up to the
// hard limit. One frame alone never counts as slow, however large (a big `joined` reply).
void WebSocketSession::check_slow_consumer() {
  if (state_ != State::open) return;
  const auto& limits = context_->ws;
  const std::size_t frames = queue_.size();
  const bool over = frames > 1 && (queued_bytes_ > limits.max_queue_bytes || frames > limits.max_queue_frames);
  if (!over) return;
  const bool far_over = queued_bytes_ > limits.max_queue_bytes * limits.hard_queue_factor ||
                        frames > limits.max_queue_frames * limits.hard_queue_factor;
  const bool stuck = in_flight_ > 0 && Clock::now() - write_started_ >= limits.slow_grace;
  if (far_over || stuck) return drop_slow_consumer();
  if (slow_deadline_) return;
  slow_deadline_ = write_started_ + limits.slow_grace;
  schedule_deadline();
}

void WebSocketSession::write_next() {
  if (in_flight_ > 0 || batching_ || state_ == State::finished) return;
  if (queue_.empty()) {
    shrink_later();
    if (pending_close_ && !close_sent_) {
      // The reading side sees the peer's answering close and ends the session.
      const auto close = std::move(pending_close_);
      enqueue_close(close->code, std::string_view(close->reason.data(), close->reason.size()));
    }
    return;
  }
  std::size_t batch_bytes = 0;
  while (in_flight_ < queue_.size() && in_flight_ < kMaxBatchFrames &&
         (in_flight_ == 0 || batch_bytes + queue_[in_flight_].bytes() <= kMaxBatchBytes)) {
    batch_bytes += queue_[in_flight_].bytes();
    ++in_flight_;
  }
  frame_batch();
  context_->metrics.socket_writes.fetch_add(1, std::memory_order_relaxed);
  context_->metrics.frames_written.fetch_add(static_cast<std::int64_t>(in_flight_), std::memory_order_relaxed);
  write_started_ = Clock::now();
  asio::async_write(socket_, batch_,
                    [self = shared_from_this()](error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void WebSocketSession::frame_batch() {
  batch_headers_.clear();
  batch_.clear();
  // Headers are all made first: batch_ points into batch_headers_, which must not grow after.
  for (std::size_t i = 0; i < in_flight_; ++i) {
    batch_headers_.push_back(ws_framing::frame_header(queue_[i].opcode, queue_[i].bytes()));
  }
  for (std::size_t i = 0; i < in_flight_; ++i) {
    const auto& item = queue_[i];
    batch_.emplace_back(batch_headers_[i].data(), batch_headers_[i].size);
    if (item.bytes() > 0) batch_.emplace_back(item.payload->data(), item.payload->size());
  }
}

void WebSocketSession::on_write(error_code ec, std::size_t) {
  bool close_written = false;
  const auto written_end = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  auto oldest = Clock::time_point::max();
  std::int64_t oldest_sent_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t messages = 0;
  for (auto it = queue_.begin(); it != written_end; ++it) {
    oldest = std::min(oldest, it->queued_at);
    if (it->origin.messages_per_frame > 0) {
      oldest_sent_ms = std::min(oldest_sent_ms, it->origin.sent_ms);
      messages += it->origin.messages_per_frame;
    }
    queued_bytes_ -= it->bytes();
    if (it->opcode == ws_framing::Opcode::close) close_written = true;
    if (it->opcode == ws_framing::Opcode::ping) ping_queued_ = false;
  }
  queue_.erase(queue_.begin(), written_end);
  if (!ec && in_flight_ > 0) {
    context_->metrics.socket_queue_latency.observe(Clock::now() - oldest, static_cast<std::int64_t>(in_flight_));
    // Every message of the write counted as late as its oldest: an upper bound, one clock read a write.
    if (messages > 0 && oldest_sent_ms > 0) {
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
      context_->metrics.delivery_latency.observe(std::chrono::milliseconds(now_ms - oldest_sent_ms), messages);
    }
  }
  in_flight_ = 0;
  if (ec) {
    if (!is_quiet_error(ec)) log::debug("ws %llu: write: %s", static_cast<unsigned long long>(id_), ec.message().c_str());
    cut();
    if (!reading_) finish();  // no read is pending to fail and finish the session
    return;
  }
  // The answer to the peer's close, or the close of a protocol error: the server ends TCP. Our own
  // close waits for the peer's answer (read) or close_deadline_.
  if (close_written && (peer_closed_ || failing_)) return finish();
  if (reading_paused_) {
    last_heard_ = Clock::now();  // the peer reads, so it is alive, though its pongs wait unread
    if (!over_queue_cap()) resume_reading();
  }
  write_next();
  drain_inbox();
}

void WebSocketSession::drop_queued_messages() {
  const auto waiting_from = queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  const auto kept = std::stable_partition(waiting_from, queue_.end(), [](const Outgoing& item) { return item.ahead; });
  for (auto it = kept; it != queue_.end(); ++it) {
    queued_bytes_ -= it->bytes();
    if (it->opcode == ws_framing::Opcode::ping) ping_queued_ = false;
  }
  queue_.erase(kept, queue_.end());
}

void WebSocketSession::shrink_later() {
  // The queue is the one that grows with a backlog (a batch holds kMaxBatchFrames at most).
  if (queue_.capacity() > kKeptBatchFrames) return release_idle_buffers();
  const bool holds_more = batch_.capacity() > 2 * kIdleBatchFrames || batch_headers_.capacity() > kIdleBatchFrames ||
                          queue_.capacity() > kIdleBatchFrames || draining_.capacity() > kIdleBatchFrames;
  if (!holds_more || shrink_deadline_ || state_ == State::finished) return;
  // Once per kShrinkAfter at most: re-arming the timer on every write would cost what this saves.
  shrink_deadline_ = Clock::now() + kShrinkAfter;
  schedule_deadline();
}

void WebSocketSession::release_idle_buffers() {
  if (in_flight_ > 0) return;  // batch_ and its headers are being written
  if (batch_.capacity() > 2 * kIdleBatchFrames) std::vector<asio::const_buffer>().swap(batch_);
  if (batch_headers_.capacity() > kIdleBatchFrames) std::vector<ws_framing::Header>().swap(batch_headers_);
  if (queue_.empty() && queue_.capacity() > kIdleBatchFrames) std::vector<Outgoing>().swap(queue_);
  if (draining_.capacity() > kIdleBatchFrames) std::vector<Inboxed>().swap(draining_);
  std::lock_guard lock(inbox_mutex_);
  if (inbox_.empty() && inbox_.capacity() > kIdleBatchFrames) std::vector<Inboxed>().swap(inbox_);
}

// ---- closing ----

void WebSocketSession::begin_close(std::uint16_t code, std::string reason, std::chrono::milliseconds timeout) {
  if (state_ != State::open) return;
  state_ = State::closing;
  resume_reading();  // the pending read sees the peer's answering close and finishes the session
  constexpr std::size_t reason_capacity = 123;  // websocket::reason_string: a close frame holds no more
  if (reason.size() > reason_capacity) reason.resize(reason_capacity);
  pending_close_ = std::make_unique<websocket::close_reason>(static_cast<websocket::close_code>(code),
                                                             beast::string_view(reason.data(), reason.size()));
  close_deadline_ = Clock::now() + timeout;
  schedule_deadline();
  write_next();
}

void WebSocketSession::drop_slow_consumer() {
  context_->metrics.slow_clients_dropped++;
  const auto stuck_ms = in_flight_ > 0 ? std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - write_started_).count() : 0;
  log::warn("ws %llu: slow consumer (%zu frames, %zu bytes queued, a write stuck for %lld ms): dropped",
            static_cast<unsigned long long>(id_), queue_.size(), queued_bytes_, static_cast<long long>(stuck_ms));
  drop_queued_messages();
  // The peer is not reading, so the close frame may never leave: the short timeout cuts the socket.
  begin_close(static_cast<std::uint16_t>(websocket::close_code::policy_error), "slow consumer",
              context_->ws.slow_close_timeout);
}

// One timer per connection serves every deadline: the earliest of those that apply is armed; when
// it fires, each one due is handled and the next is armed.
WebSocketSession::Clock::time_point WebSocketSession::next_deadline() const {
  const auto& limits = context_->ws;
  auto next = Clock::time_point::max();
  if (state_ == State::open) {
    next = std::min(last_ping_ + limits.ping_interval, last_heard_ + limits.idle_timeout);
    if (!greeted_) next = std::min(next, hello_deadline_);
  }
  if (close_deadline_) next = std::min(next, *close_deadline_);
  if (slow_deadline_) next = std::min(next, *slow_deadline_);
  if (shrink_deadline_) next = std::min(next, *shrink_deadline_);
  return next;
}

void WebSocketSession::schedule_deadline() {
  if (state_ == State::finished) return;
  const auto next = next_deadline();
  if (next == Clock::time_point::max() || (timer_armed_ && timer_.expiry() <= next)) return;
  timer_armed_ = true;
  timer_.expires_at(next);  // cancels a later wait: its handler sees operation_aborted
  timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_deadline(ec); });
}

void WebSocketSession::on_deadline(error_code ec) {
  if (ec) return;  // replaced by an earlier deadline, or finished
  timer_armed_ = false;
  const auto now = Clock::now();
  if (close_deadline_ && now >= *close_deadline_) {
    close_deadline_.reset();
    cut();
    if (!reading_ && in_flight_ == 0) return finish();  // nothing pending will fail and finish it
  }
  if (slow_deadline_ && now >= *slow_deadline_) {
    slow_deadline_.reset();
    check_slow_consumer();
  }
  if (shrink_deadline_ && now >= *shrink_deadline_) {
    shrink_deadline_.reset();
    // Written to within the last kShrinkAfter: still busy, look again later.
    if (in_flight_ > 0 || !queue_.empty() || now - write_started_ < kShrinkAfter) {
      shrink_later();
    } else {
      release_idle_buffers();
    }
  }
  if (state_ == State::open && !greeted_ && now >= hello_deadline_) on_hello_deadline();
  if (state_ == State::open) on_keepalive(now);
  schedule_deadline();
}

void WebSocketSession::on_keepalive(Clock::time_point now) {
  const auto& limits = context_->ws;
  if (now - last_heard_ >= limits.idle_timeout) {
    log::info("ws %llu: nothing heard for %lld ms: closing", static_cast<unsigned long long>(id_),
              static_cast<long long>(limits.idle_timeout.count()));
    return begin_close(static_cast<std::uint16_t>(websocket::close_code::going_away), "idle timeout",
                       limits.close_timeout);
  }
  if (now - last_ping_ >= limits.ping_interval) {
    last_ping_ = now;
    enqueue_ping();
  }
}

void WebSocketSession::cut() {
  auto& tcp = handshake_ ? handshake_->next_layer() : socket_;
  error_code ignored;
  tcp.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp.close(ignored);
}

void WebSocketSession::finish() {
  if (state_ == State::finished) return;
  const bool was_accepted = state_ != State::handshaking;
  state_ = State::finished;
  timer_.cancel();
  close_inbox();
  if (was_accepted && !handshake_ && socket_.is_open()) {
    linger();
  } else {
    cut();
  }
  // A write in flight completes (with an error) and releases its frames.
  if (in_flight_ == 0) {
    queue_.clear();
    queued_bytes_ = 0;
  }
  std::string().swap(fragments_);
  buffer_.clear();
  buffer_.shrink_to_fit();
  ticket_ = Admission::Ticket();  // the socket is closed: its place under the caps is free now
  if (!was_accepted) return;
  context_->sessions.remove(id_);
  if (hub_opened_) context_->hub->closed(id_);
}

// RFC 6455 §7.1.1: the server ends TCP first, but closing a socket with unread data makes the
// kernel send a reset, and a reset can destroy what is still on its way to the peer, our close
// frame included (a peer that sent frames after its close). So: stop sending, read and drop what
// the peer still sends until it closes too, for a short while at most, then close.
void WebSocketSession::linger() {
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  timer_.expires_after(std::min<std::chrono::milliseconds>(context_->ws.close_timeout, kLingerMax));
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->cut();  // the peer did not close in time
  });
  discard_until_closed();
}

void WebSocketSession::discard_until_closed() {
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](error_code ec) {
    std::array<char, 4096> sink;
    while (!ec) {
      const auto got = self->socket_.read_some(asio::buffer(sink), ec);
      if (!ec && got == 0) ec = asio::error::eof;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) return self->discard_until_closed();
    self->timer_.cancel();
    self->cut();
  });
}

}  // namespace outloud::net
