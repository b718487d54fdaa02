#include "server/net/refusal.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace outloud::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr auto kLinger = std::chrono::seconds(1);

// Reads until the peer closes (or the linger time is over), then closes.
struct Refusal : std::enable_shared_from_this<Refusal> {
  Refusal(asio::ip::tcp::socket socket, std::string response)
      : stream(std::move(socket)), response(std::move(response)) {}

  void start() {
    stream.expires_after(kLinger);
    asio::async_write(stream, asio::buffer(response), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      self->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      self->drain();
    });
  }
  void drain() {
    stream.async_read_some(asio::buffer(scratch), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->drain();  // the timeout or the peer's close ends it; the destructor closes
    });
  }

  beast::tcp_stream stream;
  std::string response;
  std::array<char, 4096> scratch{};
};

}  // namespace

std::string service_unavailable_response(std::string_view reason) {
  std::string body(reason);
  body += '\n';
  std::string response =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Server: outloud\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Cache-Control: no-store\r\n"
      "Retry-After: 5\r\n"
      "Connection: close\r\n"
      "Content-Length: ";
  response += std::to_string(body.size());
  response += "\r\n\r\n";
  response += body;
  return response;
}

void refuse_connection(asio::ip::tcp::socket socket, std::string_view reason) {
  std::make_shared<Refusal>(std::move(socket), service_unavailable_response(reason))->start();
}

void refuse_descriptor_now(int fd, std::string_view reason) {
  const std::string response = service_unavailable_response(reason);
  // A fresh socket's send buffer holds far more than this; a short write just loses the tail.
  [[maybe_unused]] const auto sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  // Consume what the request sent already, so that closing sends FIN rather than a reset.
  std::array<char, 4096> scratch;
  for (int i = 0; i < 16 && ::recv(fd, scratch.data(), scratch.size(), MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

}  // namespace outloud::net
