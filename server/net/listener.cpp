#include "server/net/listener.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include "server/core/log.hpp"
#include "server/net/http_session.hpp"
#include "server/net/listen_address.hpp"
#include "server/net/refusal.hpp"

namespace outloud::net {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

int open_reserve_descriptor() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

bool is_descriptor_limit(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system;
}

constexpr std::string_view kDescriptorLimitReason = "the server is at its connection limit: try again later";

}  // namespace

Listener::Listener(asio::io_context& io, std::shared_ptr<ServerContext> context)
    : io_(io), context_(std::move(context)), reserve_fd_(open_reserve_descriptor()) {}

Listener::~Listener() {
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

void Listener::open(const std::vector<tcp::endpoint>& endpoints) {
  error_code first_error = make_error_code(boost::system::errc::address_not_available);
  std::uint16_t chosen_port = 0;
  for (auto endpoint : endpoints) {
    if (endpoint.port() == 0 && chosen_port != 0) endpoint.port(chosen_port);
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io_));
    error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    // Binding both 0.0.0.0 and :: on one port needs the IPv6 socket to stay IPv6-only.
    if (!ec && endpoint.address().is_v6() && endpoints.size() > 1) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    // The reserve-descriptor refusal accepts by hand and must never block.
    if (!ec) acceptor->non_blocking(true, ec);
    if (ec) {
      log::warn("cannot listen on %s: %s", endpoint_text(endpoint).c_str(), ec.message().c_str());
      if (bound_.empty()) first_error = ec;
      continue;
    }
    const tcp::endpoint local = acceptor->local_endpoint();
    chosen_port = local.port();
    bound_.push_back(local);
    acceptors_.push_back(std::move(acceptor));
  }
  if (bound_.empty()) throw boost::system::system_error(first_error, "listen");
  // Printed whatever the log level: scripts and tests read the port from this line.
  for (const auto& local : bound_) {
    log::always("listening on http://%s", endpoint_text(local).c_str());
  }
}

void Listener::run() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    asio::dispatch(acceptors_[i]->get_executor(), [self = shared_from_this(), i] { self->accept(i); });
  }
}

void Listener::stop() {
  for (auto& acceptor : acceptors_) {
    asio::post(acceptor->get_executor(), [self = shared_from_this(), a = acceptor.get()] {
      error_code ignored;
      a->close(ignored);
    });
  }
}

void Listener::accept(std::size_t index) {
  // Each connection gets its own strand: its handlers never run concurrently, with no locks.
  acceptors_[index]->async_accept(
      asio::make_strand(io_), [self = shared_from_this(), index](error_code ec, tcp::socket socket) {
        self->on_accept(index, ec, std::move(socket));
      });
}

void Listener::on_accept(std::size_t index, error_code ec, tcp::socket socket) {
  auto& acceptor = *acceptors_[index];
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (is_descriptor_limit(ec)) {
    // Newcomers must not hang in the backlog: refuse those waiting, a few at a time, then go on.
    int refused = 0;
    DescriptorLimitRefusal outcome = DescriptorLimitRefusal::refused;
    while (refused < 64 && (outcome = refuse_one_at_descriptor_limit(acceptor)) == DescriptorLimitRefusal::refused) {
      ++refused;
    }
    if (refused > 0) {
      context_->admission.refused_at_descriptor_limit(static_cast<std::size_t>(refused));
      log::warn("accept: %s: refused %d connection(s) with 503", ec.message().c_str(), refused);
    }
    if (refused > 0 || outcome == DescriptorLimitRefusal::none_waiting) {
      // Linux reports EMFILE before looking for a connection: with none waiting, wait for the next one.
      return acceptor.async_wait(tcp::acceptor::wait_read, [self = shared_from_this(), index](error_code wait_error) {
        if (wait_error || !self->acceptors_[index]->is_open()) return;
        self->accept(index);
      });
    }
  }
  if (ec) {
    // Out of memory and the like, or the reserve is gone too: wait a little rather than spin.
    log::warn("accept: %s", ec.message().c_str());
    auto timer = std::make_shared<asio::steady_timer>(acceptor.get_executor(), std::chrono::milliseconds(100));
    timer->async_wait([self = shared_from_this(), index, timer](error_code) {
      if (self->acceptors_[index]->is_open()) self->accept(index);
    });
    return;
  }
  error_code peer_error;
  const auto peer = socket.remote_endpoint(peer_error);
  if (peer_error) return accept(index);  // already gone
  std::string_view refusal;
  auto ticket = context_->admission.admit(peer.address(), refusal);
  if (!ticket) {
    log::debug("refused a connection from %s: %s", endpoint_text(peer).c_str(), std::string(refusal).c_str());
    refuse_connection(std::move(socket), refusal);
    return accept(index);
  }
  // Chat frames are small and latency matters: a reply must not wait for the peer's delayed ACK.
  error_code nodelay_error;
  socket.set_option(tcp::no_delay(true), nodelay_error);
  std::make_shared<HttpSession>(std::move(socket), context_, std::move(*ticket))->run();
  accept(index);
}

Listener::DescriptorLimitRefusal Listener::refuse_one_at_descriptor_limit(tcp::acceptor& acceptor) {
  std::lock_guard lock(reserve_mutex_);
  if (reserve_fd_ < 0) reserve_fd_ = open_reserve_descriptor();
  if (reserve_fd_ < 0) return DescriptorLimitRefusal::no_reserve;
  ::close(reserve_fd_);
  const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  const int accept_errno = errno;
  if (fd >= 0) refuse_descriptor_now(fd, kDescriptorLimitReason);
  reserve_fd_ = open_reserve_descriptor();
  if (fd >= 0) return DescriptorLimitRefusal::refused;
  if (accept_errno == EAGAIN || accept_errno == EWOULDBLOCK) return DescriptorLimitRefusal::none_waiting;
  log::debug("accept at the descriptor limit: %s", std::strerror(accept_errno));
  return DescriptorLimitRefusal::no_reserve;  // EMFILE again (another thread took it) or worse: wait a little
}

}  // namespace outloud::net
