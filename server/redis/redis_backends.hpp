// The Redis backends of one node (--redis): store, bus, presence registry and accounts sharing one command
// connection (pipelined) and one subscriber connection, all driven on one strand of the server's
// io_context. Nothing here blocks: connecting, reconnecting and every command are asynchronous.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "server/accounts/account_store.hpp"
#include "server/backend/bus.hpp"
#include "server/backend/presence.hpp"
#include "server/backend/store.hpp"
#include "server/limits/limits.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/redis_presence.hpp"

namespace outloud::redis {

// The backends' settings; their limits (limits::Redis: the connection's timeouts and backoff,
// stream trimming, WAIT replicas and timeout, with their defaults) are members through the base.
struct RedisOptions : limits::Redis {
  // redis://[[USER]:PASSWORD@]HOST:PORT[/DB] or
  // redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER_NAME[/DB] (redis_url.hpp)
  std::string url = "redis://127.0.0.1:6379";
  std::string node_id = "node-1";
  std::string key_prefix = "outloud:";          // every key and channel starts with it
  PresenceOptions presence;                      // entry ttl, refresh and sweep periods
  std::int64_t session_idle_ms = 0;              // accounts: a session's keys expire this long after its last use (0: never)
  // `sent` means "in Redis"; on disk depends on Redis' appendfsync (everysec by default: a Redis
  // crash may lose the last second). true: on each connect, CONFIG SET appendonly yes and
  // appendfsync always, so a crash loses nothing acknowledged (refusal is logged as an error).
  bool fsync_always = false;
};

class RedisStore;
class RedisBus;
class Sentinels;
class RedisAccounts;

class RedisBackends {
 public:
  // Throws std::invalid_argument with a readable message if the URL is not valid.
  RedisBackends(boost::asio::io_context& io, RedisOptions options);
  ~RedisBackends();
  RedisBackends(const RedisBackends&) = delete;
  RedisBackends& operator=(const RedisBackends&) = delete;

  backend::Store& store();
  backend::Bus& bus();
  backend::PresenceRegistry& presence();
  accounts::AccountStore& accounts();
  RedisPresence& redis_presence() { return *presence_; }

  // "up" when both connections are, else "down" (for /healthz).
  std::string_view health() const;

  // Starts connecting (the constructor does not). Thread-safe.
  void start();
  // Closes both connections and stops the timers; pending commands fail with `unavailable`.
  // Thread-safe and asynchronous (runs on the backends' strand). The io_context must outlive this
  // object; destroy it after stop() ran or after the io_context stopped running.
  void stop();

 private:
  RedisOptions options_;
  Strand strand_;
  std::shared_ptr<Connection> commands_;
  std::shared_ptr<Connection> subscriber_;
  std::shared_ptr<Sentinels> sentinels_;  // redis-sentinel:// only
  std::shared_ptr<ScriptSet> scripts_;
  std::unique_ptr<RedisStore> store_;
  std::unique_ptr<RedisBus> bus_;
  std::shared_ptr<RedisPresence> presence_;
  std::unique_ptr<RedisAccounts> accounts_;
  bool checked_persistence_ = false;
};

// The composition root's entry points. Both throw std::invalid_argument on a bad URL.
std::unique_ptr<RedisBackends> make_redis_backends(boost::asio::io_context& io, RedisOptions options);
std::unique_ptr<RedisBackends> make_redis_backends(boost::asio::io_context& io, const std::string& url,
                                                   const std::string& node_id);

}  // namespace outloud::redis
