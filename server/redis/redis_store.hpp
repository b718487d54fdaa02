// Store on Redis: rooms in a hash, each room's messages in a stream whose entry ids are the seqs,
// appends as one Lua script that also publishes the message on the room's channel (keys.hpp,
// lua_scripts.hpp). Durability of an acknowledged message is that of the Redis server's AOF:
// run it with appendonly yes, and appendfsync always if a Redis crash must not lose the last second.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "server/backend/store.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/keys.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

class RedisStore final : public backend::Store {
 public:
  // stream_maxlen: 0 keeps every message; otherwise streams are trimmed to about that many.
  RedisStore(std::shared_ptr<Connection> connection, std::shared_ptr<ScriptSet> scripts, Keys keys,
             std::int64_t stream_maxlen);

  void create_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void get_room(std::string room, backend::Callback<std::optional<protocol::Room>> done) override;
  void update_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void delete_messages_before(std::string room, std::int64_t ts, int limit,
                              backend::Callback<std::int64_t> done) override;
  void list_rooms(backend::Callback<std::vector<protocol::Room>> done) override;
  void append(backend::AppendRequest request, backend::Callback<backend::AppendResult> done) override;
  void latest(std::string room, int limit, backend::Callback<backend::Page> done) override;
  void after(std::string room, std::int64_t after_seq, int limit, backend::Callback<backend::Page> done) override;
  void before(std::string room, std::int64_t before_seq, int limit, backend::Callback<backend::Page> done) override;
  void load_state(std::string room, backend::Callback<backend::RoomState> done) override;
  void save_state(std::string room, std::int64_t expected_version, std::string json,
                  backend::Callback<bool> done) override;
  // Messages appended through this node since it started (a cluster-wide total would cost a scan).
  std::int64_t messages_stored() const override { return stored_.load(std::memory_order_relaxed); }

 private:
  void read_range(const std::string& room, const char* verb, std::string start, std::string end, int limit,
                  bool descending, backend::Callback<backend::Page> done);

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ScriptSet> scripts_;
  Keys keys_;
  std::int64_t stream_maxlen_;
  std::atomic<std::int64_t> stored_{0};
};

}  // namespace outloud::redis
