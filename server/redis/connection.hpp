// One connection to Redis, driven by Asio on a strand: asynchronous resolve and connect with a
// timeout, a handshake (AUTH if the URL has credentials, SELECT), then commands pipelined as they come. When the connection drops it
// reconnects by itself with capped, jittered exponential backoff. While it is down, commands fail at
// once with `unavailable`; a reply slower than command_timeout drops the connection (a hung server
// must not hold requests forever).
//
// With an endpoint source (Sentinel), each attempt first asks the source where the master is, and
// the handshake ends with ROLE: a server that is not a master is dropped. A READONLY error (the master
// became a replica) fails that command with `unavailable` and reconnects; so does reconnect_to().
//
// A subscriber connection sends only SUBSCRIBE / UNSUBSCRIBE and PING; what Redis pushes on it
// (confirmations, messages, pongs) goes to the push handler. It sends PING every ping_interval and
// reconnects when nothing arrived for ping_timeout: a half-open socket is noticed in seconds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "server/backend/result.hpp"
#include "server/limits/limits.hpp"
#include "server/redis/redis_url.hpp"
#include "server/redis/reply.hpp"

struct redisAsyncContext;

namespace outloud::redis {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Timeouts, reconnect backoff and the subscriber's PING watchdog.
using ConnectionOptions = limits::RedisConnection;

// Asked on the strand before each connection attempt; answers on the strand, nullopt if unknown.
using EndpointSource = std::function<void(std::function<void(std::optional<Endpoint>)>)>;

// Redis error replies arrive as a Reply of type error; a lost or absent connection as `unavailable`.
using ReplyCallback = std::function<void(backend::Result<Reply>)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Role { command, subscriber };

  static std::shared_ptr<Connection> create(Strand strand, Endpoint endpoint, ConnectionOptions options,
                                            std::string name, Role role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Set before start(). Both run on the strand.
  void set_state_handler(std::function<void(bool up)> handler) { state_handler_ = std::move(handler); }
  void set_push_handler(std::function<void(const Reply&)> handler) { push_handler_ = std::move(handler); }
  // Set before start(): where to connect is asked anew on every attempt, and the server must be a master.
  void set_endpoint_source(EndpointSource source) { endpoint_source_ = std::move(source); }

  // Thread-safe: unless connected to HOST:PORT, drop the connection (or the pending retry) and connect
  // again at once, asking the endpoint source anew (a failover was announced).
  void reconnect_to(std::string host, int port, std::string why);

  void start();  // thread-safe
  // Thread-safe: closes the connection and stops reconnecting. Pending commands fail.
  void stop();
  // For teardown once the io_context no longer runs: like stop(), inline.
  void stop_now();

  bool up() const { return up_.load(std::memory_order_acquire); }
  const Strand& strand() const { return strand_; }
  const std::string& name() const { return name_; }

  // Thread-safe; binary-safe arguments. The callback runs on the strand.
  void command(std::vector<std::string> argv, ReplyCallback done);

  // Subscriber only, on the strand: sends SUBSCRIBE or UNSUBSCRIBE for one channel. False if down.
  bool send_subscription(const char* verb, const std::string& channel);

 private:
  Connection(Strand strand, Endpoint endpoint, ConnectionOptions options, std::string name, Role role);

  void connect();
  void resolve();
  void drop_later(const char* why);
  void on_resolved(const boost::system::error_code& error, boost::asio::ip::tcp::resolver::results_type results);
  void on_connected(int status);
  void on_disconnected();
  void mark_up();
  void drop(const char* why);
  void schedule_retry();
  void arm_watchdog();
  void arm_ping();
  void handshake();
  void execute(std::vector<std::string> argv, ReplyCallback done);
  bool send(const std::vector<std::string>& argv, ReplyCallback done);

  static void connect_callback(const redisAsyncContext* context, int status);
  static void disconnect_callback(const redisAsyncContext* context, int status);
  static void reply_callback(redisAsyncContext* context, void* reply, void* privdata);
  static void push_callback(redisAsyncContext* context, void* reply, void* privdata);

  Strand strand_;
  Endpoint endpoint_;
  ConnectionOptions options_;
  std::string name_;
  Role role_;
  std::function<void(bool)> state_handler_;
  std::function<void(const Reply&)> push_handler_;
  EndpointSource endpoint_source_;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer ping_timer_;

  redisAsyncContext* context_ = nullptr;
  bool started_ = false;
  bool stopping_ = false;
  bool connecting_ = false;
  bool retry_scheduled_ = false;
  std::uint64_t retry_token_ = 0;  // a retry cancelled by reconnect_to() must not connect again
  std::string switch_target_;      // HOST:PORT a reconnect_to() is under way to
  bool watchdog_armed_ = false;
  int failures_ = 0;
  std::atomic<bool> up_{false};
  std::deque<std::chrono::steady_clock::time_point> in_flight_;  // send times, replies come in order
  std::minstd_rand jitter_;
  std::uint64_t generation_ = 0;                     // counts connections: a stale ping timer stops
  std::chrono::steady_clock::time_point last_heard_;  // subscriber: the last reply or push
};

}  // namespace outloud::redis
