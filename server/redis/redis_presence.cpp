#include "server/redis/redis_presence.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>

#include "server/core/log.hpp"
#include "server/redis/codec.hpp"
#include "server/redis/reply_failure.hpp"

namespace outloud::redis {

using backend::Callback;
using backend::Result;

namespace {

std::optional<backend::Error> presence_failure(const Result<Reply>& reply) {
  return reply_failure(reply, "presence error");
}

constexpr std::size_t kRefreshChunk = 500;

}  // namespace

RedisPresence::RedisPresence(std::shared_ptr<Connection> connection, std::shared_ptr<ScriptSet> scripts, Keys keys,
                             PresenceOptions options)
    : connection_(std::move(connection)),
      scripts_(std::move(scripts)),
      keys_(std::move(keys)),
      options_(options),
      refresh_timer_(connection_->strand()),
      sweep_timer_(connection_->strand()) {}

void RedisPresence::join(std::string room, std::string conn_key, protocol::User user, Callback<bool> done) {
  std::string entry = member(room, conn_key);
  std::vector<std::string> args{keys_.presence(room, ""), conn_key, user.id, encode_user(user),
                                std::to_string(options_.ttl.count()), entry};
  scripts_->presence_join.run(
      connection_, {keys_.presence_expiry()}, std::move(args),
      [self = shared_from_this(), room = std::move(room), entry = std::move(entry),
       done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = presence_failure(reply)) return done(*error);
        const auto& elements = reply.value().elements;
        if (elements.empty()) return done(backend::internal_error("bad presence reply"));
        if (!self->stopped_) self->local_.insert(std::move(entry));
        // The connection key was held by a user of an earlier run of this node: that user is gone.
        if (elements.size() >= 2) self->report_expired(room, elements[1].str);
        done(elements[0].integer == 1);
      });
}

void RedisPresence::leave(std::string room, std::string conn_key, std::string user_id, Callback<bool> done) {
  std::string entry = member(room, conn_key);
  std::vector<std::string> args{keys_.presence(room, ""), conn_key, std::move(user_id), entry};
  scripts_->presence_leave.run(connection_, {keys_.presence_expiry()}, std::move(args),
                               [self = shared_from_this(), entry, done = std::move(done)](Result<Reply> reply) {
                                 self->local_.erase(entry);
                                 if (auto error = presence_failure(reply)) return done(*error);
                                 done(reply.value().integer == 1);
                               });
  // Stop refreshing at once, even if Redis cannot be told now: the entry then expires by itself.
  boost::asio::dispatch(connection_->strand(), [self = shared_from_this(), entry] { self->local_.erase(entry); });
}

void RedisPresence::set_state(std::string room, std::string user_id, protocol::PresenceState state,
                              Callback<bool> done) {
  scripts_->presence_set_state.run(connection_, {keys_.presence(room, "state")},
                                   {std::move(user_id), std::string(protocol::to_string(state))},
                                   [done = std::move(done)](Result<Reply> reply) {
                                     if (auto error = presence_failure(reply)) return done(*error);
                                     done(reply.value().integer == 1);
                                   });
}

void RedisPresence::list(std::string room, Callback<std::vector<protocol::PresenceEntry>> done) {
  scripts_->presence_list.run(
      connection_, {keys_.presence(room, "users"), keys_.presence(room, "state"), keys_.presence(room, "since")}, {},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = presence_failure(reply)) return done(*error);
        const auto& elements = reply.value().elements;
        std::vector<protocol::PresenceEntry> entries;
        entries.reserve(elements.size() / 3);
        for (std::size_t i = 0; i + 2 < elements.size(); i += 3) {
          auto user = decode_user(elements[i].str);
          long long since = 0;
          if (!user || !reply_int(elements[i + 2], since)) continue;
          auto state = protocol::presence_state_from(elements[i + 1].str);
          entries.push_back({std::move(*user), state.value_or(protocol::PresenceState::online), since});
        }
        // As the embedded registry: by arrival, then by user id.
        std::sort(entries.begin(), entries.end(), [](const protocol::PresenceEntry& a, const protocol::PresenceEntry& b) {
          return a.since != b.since ? a.since < b.since : a.user.id < b.user.id;
        });
        done(std::move(entries));
      });
}

void RedisPresence::page(std::string room, std::string after, int limit, Callback<backend::PresencePage> done) {
  if (after.empty()) after = "0";
  scripts_->presence_page.run(
      connection_, {keys_.presence(room, "users"), keys_.presence(room, "state"), keys_.presence(room, "since")},
      {std::move(after), std::to_string(std::max(1, limit))}, [done = std::move(done)](Result<Reply> reply) {
        if (auto error = presence_failure(reply)) return done(*error);
        const auto& elements = reply.value().elements;
        if (elements.size() < 2) return done(backend::internal_error("bad presence page reply"));
        backend::PresencePage page;
        if (elements[0].str != "0") page.next = elements[0].str;
        page.online = static_cast<int>(elements[1].integer);
        for (std::size_t i = 2; i + 2 < elements.size(); i += 3) {
          auto user = decode_user(elements[i].str);
          long long since = 0;
          if (!user || !reply_int(elements[i + 2], since)) continue;
          auto state = protocol::presence_state_from(elements[i + 1].str);
          page.entries.push_back({std::move(*user), state.value_or(protocol::PresenceState::online), since});
        }
        done(std::move(page));
      });
}

void RedisPresence::online_counts(std::vector<std::string> rooms, Callback<std::vector<int>> done) {
  if (rooms.empty()) return done(std::vector<int>{});
  // Pipelined HLENs; the replies come back in order on the one connection, all on the strand.
  struct Gather {
    std::vector<int> counts;
    std::size_t remaining;
    std::optional<backend::Error> error;
    Callback<std::vector<int>> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->counts.assign(rooms.size(), 0);
  gather->remaining = rooms.size();
  gather->done = std::move(done);
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    connection_->command({"HLEN", keys_.presence(rooms[i], "users")}, [gather, i](Result<Reply> reply) {
      if (auto error = presence_failure(reply)) {
        if (!gather->error) gather->error = *error;
      } else {
        gather->counts[i] = static_cast<int>(reply.value().integer);
      }
      if (--gather->remaining != 0) return;
      if (gather->error) return gather->done(*gather->error);
      gather->done(std::move(gather->counts));
    });
  }
}

void RedisPresence::set_expiry_handler(std::function<void(std::string, protocol::User)> handler) {
  std::lock_guard lock(handler_mutex_);
  expiry_handler_ = std::move(handler);
}

void RedisPresence::report_expired(const std::string& room, const std::string& user_json) {
  auto user = decode_user(user_json);
  if (!user) return;
  std::function<void(std::string, protocol::User)> handler;
  {
    std::lock_guard lock(handler_mutex_);
    handler = expiry_handler_;
  }
  if (handler) handler(room, std::move(*user));
}

void RedisPresence::start() {
  boost::asio::dispatch(connection_->strand(), [self = shared_from_this()] {
    self->schedule_refresh();
    self->schedule_sweep();
  });
}

void RedisPresence::stop() {
  stopped_ = true;
  refresh_timer_.cancel();
  sweep_timer_.cancel();
}

void RedisPresence::abandon() {
  boost::asio::dispatch(connection_->strand(), [self = shared_from_this()] {
    self->stop();
    self->local_.clear();
  });
}

void RedisPresence::on_commands_state(bool up) {
  if (!up || stopped_) return;
  // Nodes reconnect after a Redis outage at different moments (backoff up to a few seconds) and
  // refresh at once; until the others have too, their entries would look expired to our sweep.
  sweep_not_before_ =
      std::chrono::steady_clock::now() + std::max(options_.refresh, options_.reconnect_spread) + options_.sweep;
  refresh_now();
}

void RedisPresence::schedule_refresh() {
  if (stopped_) return;
  refresh_timer_.expires_after(options_.refresh);
  refresh_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || error || self->stopped_) return;
    self->refresh_now();
    self->schedule_refresh();
  });
}

void RedisPresence::schedule_sweep() {
  if (stopped_) return;
  sweep_timer_.expires_after(options_.sweep);
  sweep_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self || error || self->stopped_) return;
    self->sweep_now();
    self->schedule_sweep();
  });
}

void RedisPresence::refresh_now() {
  if (local_.empty() || !connection_->up()) return;
  std::vector<std::string> args{std::to_string(options_.ttl.count())};
  for (const auto& entry : local_) {
    args.push_back(entry);
    if (args.size() > kRefreshChunk) {
      scripts_->presence_refresh.run(connection_, {keys_.presence_expiry()}, std::move(args), nullptr);
      args = {std::to_string(options_.ttl.count())};
    }
  }
  if (args.size() > 1) scripts_->presence_refresh.run(connection_, {keys_.presence_expiry()}, std::move(args), nullptr);
}

void RedisPresence::sweep_now() {
  if (!connection_->up() || std::chrono::steady_clock::now() < sweep_not_before_) return;
  scripts_->presence_sweep.run(connection_, {keys_.presence_expiry()},
                               {keys_.presence_prefix(), std::to_string(options_.sweep_batch)},
                               [weak = weak_from_this()](Result<Reply> reply) {
                                 auto self = weak.lock();
                                 if (!self || presence_failure(reply)) return;
                                 const auto& elements = reply.value().elements;
                                 for (std::size_t i = 0; i + 1 < elements.size(); i += 2) {
                                   self->report_expired(elements[i].str, elements[i + 1].str);
                                 }
                               });
}

}  // namespace outloud::redis
