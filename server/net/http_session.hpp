// One HTTP/1.1 connection: keep-alive requests for the web client's files, /healthz, /metrics and
// the Markdown export, until it upgrades to a WebSocket at /ws.
#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "server/net/config.hpp"

namespace outloud::net {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  HttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerContext> context,
              Admission::Ticket ticket);
  void run();

 private:
  void read_request();
  // Headers first: a request whose framing is ambiguous is refused before its body is read.
  void on_header(boost::system::error_code ec);
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void route(Request&& request);
  void serve_static(const Request& request, const std::string& path);
  void serve_export(const Request& request, const protocol::Export& record);
  void serve_api(const Request& request, const std::string& path);  // http_api.hpp
  // Writes the response (bodyless for HEAD), then reads the next request or closes.
  template <class Response>
  void write(Response&& response);
  void on_write(bool keep_alive, boost::system::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<ServerContext> context_;
  Admission::Ticket ticket_;  // this connection's place under the caps; handed on at the upgrade
  bool head_request_ = false;  // answer with the headers only
  std::shared_ptr<void> response_;  // the response being written must live until the write completes
};

}  // namespace outloud::net
