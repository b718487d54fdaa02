// Test helper: one "node" of Redis backends with its own io_context thread, connected to a real
// redis-server. Several nodes on the same server and key prefix behave as a cluster of servers.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "server/redis/redis_backends.hpp"

namespace outloud::testing {

class RedisNode {
 public:
  RedisNode(const std::string& url, const std::string& node_id, const std::string& prefix,
            redis::PresenceOptions presence = {}, bool wait_until_up = true, int wait_replicas = 0,
            std::int64_t session_idle_ms = 0)
      : work_(io_.get_executor()) {
    redis::RedisOptions options;
    options.wait_replicas = wait_replicas;
    options.wait_timeout = std::chrono::milliseconds(100);
    options.url = url;
    options.node_id = node_id;
    options.key_prefix = prefix;
    options.presence = presence;
    options.session_idle_ms = session_idle_ms;
    // Quick reconnects keep outage tests short.
    options.connection.backoff_initial = std::chrono::milliseconds(50);
    options.connection.backoff_max = std::chrono::milliseconds(500);
    options.connection.connect_timeout = std::chrono::milliseconds(1000);
    backends_ = redis::make_redis_backends(io_, options);
    thread_ = std::thread([this] { io_.run(); });
    if (wait_until_up && !wait_for_health("up", std::chrono::seconds(10))) {
      shutdown();
      throw std::runtime_error("redis backends did not come up");
    }
  }
  ~RedisNode() { shutdown(); }
  RedisNode(const RedisNode&) = delete;
  RedisNode& operator=(const RedisNode&) = delete;

  redis::RedisBackends& backends() { return *backends_; }
  backend::Store& store() { return backends_->store(); }
  backend::Bus& bus() { return backends_->bus(); }
  backend::PresenceRegistry& presence() { return backends_->presence(); }

  bool wait_for_health(std::string_view wanted, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (backends_->health() == wanted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return backends_->health() == wanted;
  }

 private:
  void shutdown() {
    if (!thread_.joinable()) return;
    backends_->stop();
    // Let the stop run (and the failing callbacks it triggers) before the loop ends.
    std::promise<void> drained;
    boost::asio::post(io_, [&] { drained.set_value(); });
    drained.get_future().wait_for(std::chrono::seconds(5));
    work_.reset();
    io_.stop();
    thread_.join();
    backends_.reset();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<redis::RedisBackends> backends_;
  std::thread thread_;
};

}  // namespace outloud::testing
