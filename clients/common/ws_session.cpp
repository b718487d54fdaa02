#include "ws_session.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace outloud::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

WsSession::WsSession(asio::any_io_executor executor, Options options, Handlers handlers)
    : executor_(executor),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      resolver_(executor),
      ws_(executor) {}

void WsSession::connect(tcp::endpoint endpoint, std::string host_header, std::string target) {
  asio::dispatch(executor_, [self = shared_from_this(), endpoint, host_header = std::move(host_header),
                             target = std::move(target)]() mutable {
    self->host_header_ = std::move(host_header);
    self->target_ = std::move(target);
    auto& socket = beast::get_lowest_layer(self->ws_).socket();
    beast::error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (!ec && self->options_.receive_buffer_bytes > 0)
      socket.set_option(asio::socket_base::receive_buffer_size(self->options_.receive_buffer_bytes), ec);
    if (ec) return self->fail("cannot open a socket: " + ec.message());
    beast::get_lowest_layer(self->ws_).expires_after(self->options_.connect_timeout);
    beast::get_lowest_layer(self->ws_).async_connect(
        endpoint, [self](beast::error_code ec) { self->on_connected(ec); });
  });
}

void WsSession::connect(std::string host, std::string port, std::string host_header, std::string target) {
  asio::dispatch(executor_, [self = shared_from_this(), host = std::move(host), port = std::move(port),
                             host_header = std::move(host_header), target = std::move(target)]() mutable {
    self->host_header_ = std::move(host_header);
    self->target_ = std::move(target);
    self->resolver_.async_resolve(
        host, port, [self, host](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->fail("cannot resolve " + host + ": " + ec.message());
          beast::get_lowest_layer(self->ws_).expires_after(self->options_.connect_timeout);
          beast::get_lowest_layer(self->ws_).async_connect(
              results, [self](beast::error_code ec, const tcp::endpoint&) { self->on_connected(ec); });
        });
  });
}

void WsSession::on_connected(beast::error_code ec) {
  if (ec) return fail("cannot connect: " + ec.message());
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
  ws_.set_option(websocket::stream_base::decorator([subprotocol = options_.subprotocol](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "outloud-client");
    if (!subprotocol.empty()) req.set(beast::http::field::sec_websocket_protocol, subprotocol);
  }));
  ws_.read_message_max(options_.max_message_bytes);
  beast::get_lowest_layer(ws_).expires_after(options_.connect_timeout);
  ws_.async_handshake(host_header_, target_,
                      [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
}

void WsSession::on_handshake(beast::error_code ec) {
  if (ec) return fail("WebSocket handshake failed: " + ec.message());
  beast::get_lowest_layer(ws_).expires_never();
  // The server pings; Beast answers by itself while a read is pending. We add no idle timeout of
  // our own beyond the handshake/close limits.
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = options_.connect_timeout;
  ws_.set_option(timeouts);
  ws_.text(true);
  open_ = true;
  if (handlers_.on_open) handlers_.on_open();
  if (finished_) return;
  start_read();
  start_write();
}

void WsSession::start_read() {
  if (!open_ || reading_ || paused_ || finished_) return;
  reading_ = true;
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
    self->on_read(ec, bytes);
  });
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec) {
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      std::string why = "closed by the server (code " + std::to_string(reason.code);
      if (!reason.reason.empty()) why += ": " + std::string(reason.reason.c_str());
      return fail(why + ")");
    }
    if (closing_ && (ec == asio::error::operation_aborted)) return;
    return fail("connection lost: " + ec.message());
  }
  const auto data = read_buffer_.cdata();
  std::string_view text(static_cast<const char*>(data.data()), data.size());
  if (handlers_.on_text) handlers_.on_text(text);
  read_buffer_.consume(read_buffer_.size());
  start_read();
}

void WsSession::send(std::string text) {
  asio::dispatch(executor_, [self = shared_from_this(), text = std::move(text)]() mutable {
    if (self->finished_ || self->closing_) return;
    self->queued_bytes_ += text.size();
    self->queue_.push_back(std::move(text));
    if (self->queued_bytes_ > self->options_.max_queued_bytes)
      return self->fail("our send queue exceeded " + std::to_string(self->options_.max_queued_bytes) + " bytes");
    self->start_write();
  });
}

void WsSession::start_write() {
  if (!open_ || writing_ || finished_ || queue_.empty()) return;
  writing_ = true;
  ws_.async_write(asio::buffer(queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, std::size_t bytes) { self->on_write(ec, bytes); });
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) return fail("write failed: " + ec.message());
  queued_bytes_ -= queue_.front().size();
  queue_.pop_front();
  if (closing_ && queue_.empty()) return close_now();
  start_write();
}

void WsSession::pause_reading() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->paused_ = true; });
}

void WsSession::resume_reading() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    self->paused_ = false;
    self->start_read();
  });
}

void WsSession::close() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_) return;
    if (!self->open_) return self->fail("closed before the connection was open");
    self->closing_ = true;  // queued frames still go out first
    if (!self->writing_ && self->queue_.empty()) self->close_now();
  });
}

void WsSession::close_now() {
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code ec) {
    self->fail(ec ? "closed (" + ec.message() + ")" : "closed");
  });
}

void WsSession::fail(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  const bool was_open = open_;
  open_ = false;
  beast::error_code ignored;
  if (!closing_) beast::get_lowest_layer(ws_).socket().close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  if (handlers_.on_closed) handlers_.on_closed(why, was_open);
}

}  // namespace outloud::client
