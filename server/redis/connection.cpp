#include "server/redis/connection.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "server/core/log.hpp"
#include "server/redis/asio_adapter.hpp"

namespace outloud::redis {

namespace {
struct PendingCommand {
  ReplyCallback done;
};

// "READONLY You can't write against a read only replica." — alone, or raised inside a script.
bool is_readonly_error(const std::string& message) {
  return message.rfind("READONLY", 0) == 0 || message.find("READONLY You can't write") != std::string::npos;
}
}  // namespace

std::shared_ptr<Connection> Connection::create(Strand strand, Endpoint endpoint, ConnectionOptions options,
                                               std::string name, Role role) {
  return std::shared_ptr<Connection>(
      new Connection(std::move(strand), std::move(endpoint), options, std::move(name), role));
}

Connection::Connection(Strand strand, Endpoint endpoint, ConnectionOptions options, std::string name, Role role)
    : strand_(std::move(strand)),
      endpoint_(std::move(endpoint)),
      options_(options),
      name_(std::move(name)),
      role_(role),
      resolver_(strand_),
      connect_timer_(strand_),
      retry_timer_(strand_),
      watchdog_timer_(strand_),
      ping_timer_(strand_),
      jitter_(std::random_device{}()) {}

Connection::~Connection() { stop_now(); }

void Connection::start() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopping_) return;
    self->started_ = true;
    self->connect();
  });
}

void Connection::stop() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] { self->stop_now(); });
}

void Connection::stop_now() {
  if (stopping_) return;
  stopping_ = true;
  state_handler_ = nullptr;
  push_handler_ = nullptr;
  resolver_.cancel();
  connect_timer_.cancel();
  retry_timer_.cancel();
  watchdog_timer_.cancel();
  ping_timer_.cancel();
  up_.store(false, std::memory_order_release);
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);  // fails the pending commands with a null reply
  }
}

void Connection::connect() {
  if (stopping_) return;
  connecting_ = true;
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || error || !self->connecting_) return;
    log::warn("redis %s: connecting to %s:%d timed out", self->name_.c_str(), self->endpoint_.host.c_str(),
              self->endpoint_.port);
    self->drop("connect timeout");
  });
  if (!endpoint_source_) {
    resolve();
    return;
  }
  endpoint_source_([weak = weak_from_this(), generation = generation_](std::optional<Endpoint> found) {
    auto self = weak.lock();
    if (!self || self->stopping_ || !self->connecting_ || self->generation_ != generation) return;
    if (!found) {
      // Not on the first attempt: at start the sentinels' own connections may not be up yet.
      if (self->failures_ % 10 == 1) {
        log::warn("redis %s: no sentinel names a master yet (attempt %d)", self->name_.c_str(), self->failures_ + 1);
      }
      self->drop("no master known");
      return;
    }
    self->endpoint_.host = std::move(found->host);
    self->endpoint_.port = found->port;
    self->resolve();
  });
}

void Connection::resolve() {
  // Name resolution is asynchronous too: redisAsyncConnect itself only ever sees a numeric address.
  resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                          [weak = weak_from_this()](const boost::system::error_code& error,
                                                    boost::asio::ip::tcp::resolver::results_type results) {
                            if (auto self = weak.lock()) self->on_resolved(error, std::move(results));
                          });
}

void Connection::on_resolved(const boost::system::error_code& error,
                             boost::asio::ip::tcp::resolver::results_type results) {
  if (stopping_ || !connecting_) return;
  if (error || results.empty()) {
    log::warn("redis %s: cannot resolve %s: %s", name_.c_str(), endpoint_.host.c_str(), error.message().c_str());
    drop("resolve failed");
    return;
  }
  const std::string address = results.begin()->endpoint().address().to_string();
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), endpoint_.port);
  if (context == nullptr || context->err != 0) {
    log::warn("redis %s: connect to %s:%d failed: %s", name_.c_str(), address.c_str(), endpoint_.port,
              context != nullptr ? context->errstr : "out of memory");
    if (context != nullptr) redisAsyncFree(context);
    drop("connect failed");
    return;
  }
  context->data = this;
  redisAsyncSetConnectCallback(context, &Connection::connect_callback);
  redisAsyncSetDisconnectCallback(context, &Connection::disconnect_callback);
  // The subscriber's liveness: whatever arrives counts as heard. hiredis 0.14 cannot hand the pong
  // of a PING in subscribed mode to any callback (it looks a "pong" reply up as a pattern
  // subscription and drops it), so an idle subscriber would otherwise never hear its pongs.
  redisAsioAttach(context, strand_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->last_heard_ = std::chrono::steady_clock::now();
  });
  context_ = context;
}

void Connection::connect_callback(const redisAsyncContext* context, int status) {
  static_cast<Connection*>(context->data)->on_connected(status);
}

void Connection::disconnect_callback(const redisAsyncContext* context, int /*status*/) {
  static_cast<Connection*>(context->data)->on_disconnected();
}

void Connection::on_connected(int status) {
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback.
    // The first failure of an outage, then one in ten: a long outage must not flood the log.
    if (failures_ % 10 == 0) {
      log::warn("redis %s: cannot connect to %s:%d: %s (attempt %d)", name_.c_str(), endpoint_.host.c_str(),
                endpoint_.port, context_ != nullptr ? context_->errstr : "", failures_ + 1);
    }
    context_ = nullptr;
    drop("connect refused");
    return;
  }
  redisEnableKeepAlive(&context_->c);
  handshake();
}

// Pipelined AUTH, SELECT (or PING): the connection is up once the last is answered, and proves
// the server answers before anyone relies on it. Any refusal drops it.
void Connection::handshake() {
  std::vector<std::vector<std::string>> commands;
  if (!endpoint_.password.empty()) {
    if (endpoint_.username.empty()) {
      commands.push_back({"AUTH", endpoint_.password});
    } else {
      commands.push_back({"AUTH", endpoint_.username, endpoint_.password});
    }
  }
  if (role_ == Role::command && endpoint_.db != 0) commands.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (endpoint_source_) {
    commands.push_back({"ROLE"});  // the sentinels' answer may be stale: only a master will do
  } else if (commands.empty() || role_ == Role::subscriber) {
    commands.push_back({"PING"});
  }
  const std::uint64_t generation = generation_;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const bool last = i + 1 == commands.size();
    const std::string verb = commands[i][0];
    send(commands[i], [weak = weak_from_this(), generation, last, verb](backend::Result<Reply> reply) {
      auto self = weak.lock();
      if (!self || self->stopping_ || self->generation_ != generation) return;
      if (!reply.ok()) return;  // the connection is already being torn down
      if (reply.value().is_error()) {
        log::error("redis %s: handshake refused (%s): %s", self->name_.c_str(), verb.c_str(),
                   reply.value().str.c_str());
        self->drop("handshake refused");
        return;
      }
      if (!last) return;
      if (verb == "ROLE" && (reply.value().elements.empty() || reply.value().elements[0].str != "master")) {
        log::warn("redis %s: %s:%d is not a master (ROLE %s), asking the sentinels again", self->name_.c_str(),
                  self->endpoint_.host.c_str(), self->endpoint_.port,
                  reply.value().elements.empty() ? "?" : reply.value().elements[0].str.c_str());
        self->drop("not a master");
        return;
      }
      self->mark_up();
    });
  }
}

void Connection::on_disconnected() {
  // hiredis frees the context right after this callback.
  context_ = nullptr;
  if (stopping_) return;
  drop("connection lost");
}

void Connection::mark_up() {
  connecting_ = false;
  connect_timer_.cancel();
  failures_ = 0;
  switch_target_.clear();
  up_.store(true, std::memory_order_release);
  log::info("redis %s: connected to %s:%d", name_.c_str(), endpoint_.host.c_str(), endpoint_.port);
  if (role_ == Role::subscriber) {
    last_heard_ = std::chrono::steady_clock::now();
    arm_ping();
  }
  if (state_handler_) state_handler_(true);
}

// Tears down the current attempt or connection (failing its pending commands) and schedules the next.
void Connection::drop(const char* why) {
  connecting_ = false;
  connect_timer_.cancel();
  resolver_.cancel();
  ping_timer_.cancel();
  ++generation_;
  const bool was_up = up_.exchange(false, std::memory_order_acq_rel);
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);
  }
  in_flight_.clear();
  if (stopping_) return;
  if (was_up) {
    log::warn("redis %s: down (%s)", name_.c_str(), why);
    if (state_handler_) state_handler_(false);
  }
  schedule_retry();
}

void Connection::schedule_retry() {
  if (retry_scheduled_ || stopping_) return;
  retry_scheduled_ = true;
  const int exponent = std::min(failures_, 20);
  ++failures_;
  auto delay = std::min<std::chrono::milliseconds>(options_.backoff_max, options_.backoff_initial * (1LL << exponent));
  std::uniform_int_distribution<long long> spread(delay.count() / 2, std::max<long long>(delay.count(), 1));
  retry_timer_.expires_after(std::chrono::milliseconds(spread(jitter_)));
  retry_timer_.async_wait([weak = weak_from_this(), token = ++retry_token_](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || self->retry_token_ != token) return;
    self->retry_scheduled_ = false;
    if (error || self->stopping_) return;
    self->connect();
  });
}

void Connection::reconnect_to(std::string host, int port, std::string why) {
  boost::asio::dispatch(strand_, [self = shared_from_this(), host = std::move(host), port, why = std::move(why)] {
    if (!self->started_ || self->stopping_) return;
    const bool there = self->endpoint_.host == host && self->endpoint_.port == port;
    if (there && (self->up() || self->context_ != nullptr)) return;  // connected or connecting there already
    // Every sentinel announces the same switch: the first announcement restarts the attempt, not the others.
    std::string target = host + ":" + std::to_string(port);
    if (!self->up() && self->connecting_ && self->switch_target_ == target) return;
    self->switch_target_ = std::move(target);
    log::info("redis %s: reconnecting (%s)", self->name_.c_str(), why.c_str());
    self->failures_ = 0;
    if (!self->retry_scheduled_) self->drop(why.c_str());
    // Go now rather than after the backoff drop() scheduled.
    ++self->retry_token_;
    self->retry_scheduled_ = false;
    self->retry_timer_.cancel();
    self->connect();
  });
}

// From inside a hiredis callback: tear the connection down once that callback has returned.
void Connection::drop_later(const char* why) {
  boost::asio::post(strand_, [weak = weak_from_this(), generation = generation_, why] {
    auto self = weak.lock();
    if (self && !self->stopping_ && self->generation_ == generation) self->drop(why);
  });
}

void Connection::command(std::vector<std::string> argv, ReplyCallback done) {
  boost::asio::dispatch(strand_, [self = shared_from_this(), argv = std::move(argv), done = std::move(done)]() mutable {
    self->execute(std::move(argv), std::move(done));
  });
}

void Connection::execute(std::vector<std::string> argv, ReplyCallback done) {
  if (!up_.load(std::memory_order_relaxed) || context_ == nullptr) {
    if (done) done(backend::unavailable("redis is unreachable"));
    return;
  }
  send(argv, std::move(done));
}

bool Connection::send(const std::vector<std::string>& argv, ReplyCallback done) {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  pointers.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const auto& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* pending = new PendingCommand{std::move(done)};
  if (context_ == nullptr || redisAsyncCommandArgv(context_, &Connection::reply_callback, pending,
                                                   static_cast<int>(argv.size()), pointers.data(),
                                                   lengths.data()) != REDIS_OK) {
    std::unique_ptr<PendingCommand> owned(pending);
    if (owned->done) owned->done(backend::unavailable("redis is unreachable"));
    return false;
  }
  in_flight_.push_back(std::chrono::steady_clock::now());
  arm_watchdog();
  return true;
}

void Connection::reply_callback(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<PendingCommand> pending(static_cast<PendingCommand*>(privdata));
  auto* self = static_cast<Connection*>(context->data);
  if (!self->in_flight_.empty()) self->in_flight_.pop_front();
  if (reply == nullptr) {
    if (pending->done) pending->done(backend::unavailable("redis connection lost"));
    return;
  }
  Reply answer = Reply::from(static_cast<redisReply*>(reply));
  if (self->endpoint_source_ && answer.is_error() && is_readonly_error(answer.str)) {
    // The master we know became a replica (a failover): nothing was written; find the new one.
    log::warn("redis %s: %s:%d is read-only now, asking the sentinels again", self->name_.c_str(),
              self->endpoint_.host.c_str(), self->endpoint_.port);
    self->drop_later("the master became a replica");
    if (pending->done) pending->done(backend::unavailable("redis master changed"));
    return;
  }
  if (pending->done) pending->done(std::move(answer));
}

bool Connection::send_subscription(const char* verb, const std::string& channel) {
  if (!up_.load(std::memory_order_relaxed) || context_ == nullptr) return false;
  const char* argv[] = {verb, channel.data()};
  const std::size_t lengths[] = {std::char_traits<char>::length(verb), channel.size()};
  return redisAsyncCommandArgv(context_, &Connection::push_callback, nullptr, 2, argv, lengths) == REDIS_OK;
}

void Connection::push_callback(redisAsyncContext* context, void* reply, void* /*privdata*/) {
  auto* self = static_cast<Connection*>(context->data);
  if (reply != nullptr) self->last_heard_ = std::chrono::steady_clock::now();
  if (reply == nullptr || self->stopping_ || !self->push_handler_) return;  // teardown
  self->push_handler_(Reply::from(static_cast<redisReply*>(reply)));
}

void Connection::arm_watchdog() {
  if (watchdog_armed_ || stopping_) return;
  watchdog_armed_ = true;
  watchdog_timer_.expires_after(std::max<std::chrono::milliseconds>(options_.command_timeout / 4,
                                                                    std::chrono::milliseconds(50)));
  watchdog_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self) return;
    self->watchdog_armed_ = false;
    if (error || self->stopping_ || self->in_flight_.empty()) return;
    if (std::chrono::steady_clock::now() - self->in_flight_.front() > self->options_.command_timeout) {
      log::warn("redis %s: no reply within %lld ms, reconnecting", self->name_.c_str(),
                static_cast<long long>(self->options_.command_timeout.count()));
      self->drop("command timeout");
      return;
    }
    self->arm_watchdog();
  });
}

// Subscriber only. Redis answers PING in subscribed mode too: any bytes that arrive count as heard
// (see connect), pongs included, whatever hiredis then does with them.
void Connection::arm_ping() {
  if (stopping_) return;
  ping_timer_.expires_after(options_.ping_interval);
  ping_timer_.async_wait([weak = weak_from_this(), generation = generation_](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || error || self->stopping_ || self->generation_ != generation || self->context_ == nullptr) return;
    const auto silent = std::chrono::steady_clock::now() - self->last_heard_;
    if (silent > self->options_.ping_timeout) {
      log::warn("redis %s: nothing heard for %lld ms (PING unanswered), reconnecting", self->name_.c_str(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()));
      self->drop("pub/sub ping timeout");
      return;
    }
    const char* argv[] = {"PING"};
    const std::size_t lengths[] = {4};
    redisAsyncCommandArgv(self->context_, &Connection::push_callback, nullptr, 1, argv, lengths);
    self->arm_ping();
  });
}

}  // namespace outloud::redis
