// The single-process store: one SQLite file in WAL mode. Every write runs on one worker thread
// owned by the store, so callers never block; pages of messages are read on a small pool of
// read-only connections beside it (SqliteReaders). Callbacks are called from those threads.
// Appends queued together are written in one transaction (group commit: one fsync per batch);
// their bus events are published only after COMMIT, in seq order, then their callbacks run.
// Each request of a batch runs inside its own SAVEPOINT: one that fails is rolled back and
// answered alone, the others of the batch still commit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/backend/bus.hpp"
#include "server/backend/store.hpp"
#include "server/embedded/sqlite_readers.hpp"
#include "server/limits/limits.hpp"

namespace outloud::embedded {

// The store's settings; its limits (limits::Store, with their defaults) are members through the base.
struct SqliteStoreOptions : limits::Store {
  enum class Synchronous { off, normal, full };
  // full: an acknowledged message survives a power cut; normal: survives a process crash only;
  // off: never syncs (tests only: proves that the durability tests notice a missing fsync).
  Synchronous synchronous = Synchronous::full;
};

class SqliteStore final : public backend::Store {
 public:
  // Opens (creating if needed) and migrates the database at `path`; message events are published
  // on `bus`, which must outlive the store. Throws std::runtime_error if the file cannot be used.
  SqliteStore(std::string path, backend::Bus& bus, SqliteStoreOptions options = {});
  // Calls close().
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Finishes every request already queued (callbacks included), then closes the database. Later
  // requests get `unavailable`. Idempotent. Must not be called from inside a store callback.
  void close();

  void create_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void get_room(std::string room, backend::Callback<std::optional<protocol::Room>> done) override;
  void update_room(protocol::Room room, backend::Callback<protocol::Room> done) override;
  void delete_messages_before(std::string room, std::int64_t ts, int limit,
                              backend::Callback<std::int64_t> done) override;
  void list_rooms(backend::Callback<std::vector<protocol::Room>> done) override;  // by created_at, then id
  void count_rooms(backend::Callback<std::int64_t> done) override;
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
  void change_message(backend::ChangeRequest request, backend::Callback<backend::ChangeResult> done) override;
  void changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                     backend::Callback<backend::ChangePage> done) override;
  // Full-text (FTS5) on the store's thread, inside the room; each page costs its own matches.
  void search(backend::SearchRequest request, backend::Callback<backend::SearchPage> done) override;
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
  std::int64_t messages_stored() const override;

  // The schema version this build writes (PRAGMA user_version).
  static int schema_version();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<SqliteReaders> readers_;  // null: pages are read on the writer's thread
};

}  // namespace outloud::embedded
