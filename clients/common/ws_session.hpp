// One client WebSocket connection (Boost.Beast), fully asynchronous. Every handler runs on the
// session's strand; the public methods may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace outloud::client {

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  struct Options {
    std::string subprotocol = "outloud.v1";
    std::chrono::milliseconds connect_timeout{5000};  // TCP connect plus WebSocket handshake
    int receive_buffer_bytes = 0;                     // SO_RCVBUF; 0 keeps the OS default
    std::size_t max_queued_bytes = 16u << 20;         // our own unsent frames; beyond it we give up
    std::size_t max_message_bytes = 16u << 20;        // largest frame we accept from the server
  };
  struct Handlers {
    std::function<void()> on_open;                      // handshake done
    std::function<void(std::string_view)> on_text;      // one frame from the server
    std::function<void(const std::string& why, bool was_open)> on_closed;  // exactly once
  };

  // `executor` should be a strand (or a single-threaded io_context's executor).
  WsSession(boost::asio::any_io_executor executor, Options options, Handlers handlers);

  // Connects to one endpoint (no name resolution). host_header is sent as Host.
  void connect(boost::asio::ip::tcp::endpoint endpoint, std::string host_header, std::string target);
  // Resolves host:port asynchronously, then tries each address.
  void connect(std::string host, std::string port, std::string host_header, std::string target);

  void send(std::string text);
  void pause_reading();   // no further reads are started: the server's frames pile up in TCP buffers
  void resume_reading();
  void close();           // normal closure (1000); on_closed follows

  boost::asio::any_io_executor executor() const { return executor_; }

 private:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  void on_connected(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void start_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void start_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void close_now();
  void fail(const std::string& why);

  boost::asio::any_io_executor executor_;
  Options options_;
  Handlers handlers_;
  boost::asio::ip::tcp::resolver resolver_;
  Stream ws_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::string host_header_;
  std::string target_;
  bool open_ = false;
  bool closing_ = false;
  bool finished_ = false;  // on_closed was called
  bool reading_ = false;   // a read is in flight
  bool paused_ = false;
  bool writing_ = false;
};

}  // namespace outloud::client
