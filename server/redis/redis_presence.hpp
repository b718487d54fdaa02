// Presence on Redis, shared by every node. Each connection is an entry with a deadline (Redis
// clock); this node pushes its own entries' deadlines forward every `refresh`, and every node sweeps
// expired entries every `sweep`, so the entries of a node that died vanish within `ttl` + `sweep`.
// The sweep is one Lua script: exactly one node removes a given entry and reports the users whose
// last entry it was, through the expiry handler, so each `leave` is announced once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "server/backend/presence.hpp"
#include "server/limits/limits.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/keys.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

// Entry ttl, refresh and sweep periods.
using PresenceOptions = limits::Presence;

class RedisPresence final : public backend::PresenceRegistry,
                            public std::enable_shared_from_this<RedisPresence> {
 public:
  RedisPresence(std::shared_ptr<Connection> connection, std::shared_ptr<ScriptSet> scripts, Keys keys,
                PresenceOptions options);

  void join(std::string room, std::string conn_key, protocol::User user, backend::Callback<bool> done) override;
  void leave(std::string room, std::string conn_key, std::string user_id, backend::Callback<bool> done) override;
  void set_state(std::string room, std::string user_id, protocol::PresenceState state,
                 backend::Callback<bool> done) override;
  void list(std::string room, backend::Callback<std::vector<protocol::PresenceEntry>> done) override;
  // HSCAN of the users hash: the cursor is Redis's; a page may repeat a user seen before.
  void page(std::string room, std::string after, int limit, backend::Callback<backend::PresencePage> done) override;
  void online_counts(std::vector<std::string> rooms, backend::Callback<std::vector<int>> done) override;
  void set_expiry_handler(std::function<void(std::string room, protocol::User user)> handler) override;

  void start();  // the refresh and sweep timers
  void stop();   // on the strand
  // The command connection came back: entries may be close to their deadline.
  void on_commands_state(bool up);

  // Test hook: this node stops refreshing, as if it had died (its entries then expire).
  void abandon();

 private:
  void schedule_refresh();
  void schedule_sweep();
  void refresh_now();
  void sweep_now();
  void report_expired(const std::string& room, const std::string& user_json);
  std::string member(const std::string& room, const std::string& conn_key) const { return room + "\n" + conn_key; }

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ScriptSet> scripts_;
  Keys keys_;
  PresenceOptions options_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::steady_timer sweep_timer_;

  std::mutex handler_mutex_;
  std::function<void(std::string, protocol::User)> expiry_handler_;

  // Strand only: this node's live entries ("<room>\n<conn key>").
  std::set<std::string> local_;
  bool stopped_ = false;
  // Strand only: no sweep before this. After Redis was unreachable, every entry may be past its
  // deadline although its node lives; each node refreshes its own on reconnecting, so a sweep
  // waits until all of them have had the time to (see on_commands_state).
  std::chrono::steady_clock::time_point sweep_not_before_{};
};

}  // namespace outloud::redis
