// Store on Redis: rooms in a hash, each room's messages in a stream whose entry ids are the seqs,
// appends as one Lua script that also publishes the message on the room's channel (keys.hpp,
// lua_scripts.hpp) — or, with WaitReplicas, publishes it only once replicas confirm it.
// Durability of an acknowledged message is that of the Redis server's AOF:
// run it with appendonly yes, and appendfsync always if a Redis crash must not lose the last second.
// With WaitReplicas, an append is acknowledged only once that many replicas have it (WAIT), so a
// Sentinel failover to one of them keeps it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/backend/store.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/keys.hpp"
#include "server/redis/replica_wait.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

class RedisStore final : public backend::Store {
 public:
  // stream_maxlen: 0 keeps every message; otherwise streams are trimmed to about that many.
  RedisStore(std::shared_ptr<Connection> connection, std::shared_ptr<ScriptSet> scripts, Keys keys,
             std::int64_t stream_maxlen, WaitReplicas wait = {});

  void create_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void get_room(std::string room, backend::Callback<std::optional<protocol::Room>> done) override;
  void update_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void delete_messages_before(std::string room, std::int64_t ts, int limit,
                              backend::Callback<std::int64_t> done) override;
  void list_rooms(backend::Callback<std::vector<protocol::Room>> done) override;
  void count_rooms(backend::Callback<std::int64_t> done) override;
  // Reads the room ids (not the records), then the records of one page.
  void list_rooms_page(std::string after, int limit, backend::Callback<std::vector<protocol::Room>> done) override;
  void append(backend::AppendRequest request, backend::Callback<backend::AppendResult> done) override;
  void latest(std::string room, int limit, backend::Callback<backend::Page> done,
              backend::ReadLane lane = backend::ReadLane::interactive) override;
  void after(std::string room, std::int64_t after_seq, int limit, backend::Callback<backend::Page> done,
             backend::ReadLane lane = backend::ReadLane::interactive) override;
  void before(std::string room, std::int64_t before_seq, int limit, backend::Callback<backend::Page> done,
              backend::ReadLane lane = backend::ReadLane::interactive) override;
  void load_state(std::string room, backend::Callback<backend::RoomState> done) override;
  void save_state(std::string room, std::int64_t expected_version, std::string json,
                  backend::Callback<bool> done) override;
  // Edits as compare-and-set of the message's current JSON (edits:{room}), retried on a race.
  void change_message(backend::ChangeRequest request, backend::Callback<backend::ChangeResult> done) override;
  void changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                     backend::Callback<backend::ChangePage> done) override;
  // No index: reads the room's newest messages (before `before`) in slices, at most scan_limit of
  // them, and keeps those containing every term (ASCII case-insensitive substrings).
  void search(backend::SearchRequest request, backend::Callback<backend::SearchPage> done) override;
  // topics (redis_store_topics.cpp): a topic's seqs index the room's stream; entries the stream no
  // longer holds (retention, --redis-stream-maxlen) are neither counted nor read.
  void topic_page(std::string room, std::string topic, std::optional<std::int64_t> before,
                  std::optional<std::int64_t> after, int limit, backend::Callback<backend::Page> done) override;
  void list_topics(std::string room, std::string user, std::int64_t before, int limit,
                   backend::Callback<std::vector<protocol::TopicSummary>> done) override;
  void mark_read(std::string user, std::string room, std::string topic, std::int64_t seq,
                 backend::Callback<std::int64_t> done) override;
  void read_progress(std::string user, std::vector<std::string> rooms,
                     backend::Callback<std::vector<backend::RoomProgress>> done) override;
  void note_mentions(std::string room, std::int64_t seq, std::vector<std::string> users,
                     backend::Callback<backend::Unit> done) override;
  // Messages appended through this node since it started (a cluster-wide total would cost a scan).
  std::int64_t messages_stored() const override { return stored_.load(std::memory_order_relaxed); }

 private:
  void read_range(const std::string& room, const char* verb, std::string start, std::string end, int limit,
                  bool descending, backend::Callback<backend::Page> done);
  // WAIT mode: the append script stores only; the message is published once replicas confirm it.
  bool publish_after_wait() const { return replicas_.enabled(); }
  // Hands `result` to `done` once enough replicas confirmed every write so far on the connection,
  // then (WAIT mode) publishes `stored_event`, the message as stored.
  void confirm_replicated(backend::AppendResult result, std::optional<std::string> stored_event,
                          backend::Callback<backend::AppendResult> done);
  void publish_message(const std::string& room, std::int64_t seq, std::string event_json);
  // Hands `value` (the outcome of a write just made) to `done` once replicas confirmed it (WAIT
  // mode; `unavailable` if they did not in time), at once otherwise.
  template <class T>
  void acknowledge(T value, const char* what, backend::Callback<T> done) {
    if (!publish_after_wait()) return done(std::move(value));
    replicas_.confirm(what, [value = std::move(value), done = std::move(done)](std::optional<backend::Error> error) mutable {
      if (error) return done(std::move(*error));
      done(std::move(value));
    });
  }
  void change_attempt(backend::ChangeRequest request, int attempt, backend::Callback<backend::ChangeResult> done);
  struct SearchScan;
  void search_slice(std::shared_ptr<SearchScan> scan);

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ScriptSet> scripts_;
  Keys keys_;
  std::int64_t stream_maxlen_;
  ReplicaWait replicas_;
  std::atomic<std::int64_t> stored_{0};
};

}  // namespace outloud::redis
