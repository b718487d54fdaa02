// Accepts TCP connections on one or more endpoints; each connection gets its own strand and an
// HTTP session (which may upgrade to WebSocket).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/net/config.hpp"

namespace outloud::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using tcp = boost::asio::ip::tcp;

  Listener(boost::asio::io_context& io, std::shared_ptr<ServerContext> context);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds every endpoint (with port 0, the first picks the port and the others reuse it), and prints
  // "listening on http://HOST:PORT" for each to stderr. Throws boost::system::system_error if none
  // could be bound; an endpoint that fails while another succeeded is only warned about.
  void open(const std::vector<tcp::endpoint>& endpoints);
  const std::vector<tcp::endpoint>& bound() const { return bound_; }

  void run();
  // Thread-safe: closes the acceptors; connections already accepted carry on.
  void stop();

 private:
  void accept(std::size_t index);
  void on_accept(std::size_t index, boost::system::error_code ec, tcp::socket socket);
  // At the descriptor limit: gives up the reserve descriptor, accepts one waiting connection on
  // it, answers 503 and closes it, then takes the reserve back.
  enum class DescriptorLimitRefusal { refused, none_waiting, no_reserve };
  DescriptorLimitRefusal refuse_one_at_descriptor_limit(tcp::acceptor& acceptor);

  boost::asio::io_context& io_;
  std::shared_ptr<ServerContext> context_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<tcp::endpoint> bound_;
  std::mutex reserve_mutex_;  // the acceptors run on strands of their own
  int reserve_fd_ = -1;       // a spare descriptor (/dev/null) kept for refusing at EMFILE/ENFILE
};

}  // namespace outloud::net
