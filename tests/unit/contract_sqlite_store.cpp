// What only the SQLite store promises beyond the Store contract: its file survives a restart,
// it runs in WAL mode with a versioned schema, it finishes queued work on close, and a failed
// write costs only itself, not the other requests of its batch.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/sqlite_schema.hpp"
#include "server/embedded/sqlite_store.hpp"

namespace outloud::testing {
namespace contract_sqlite_store_test {

using backend::AppendRequest;
using backend::AppendResult;
using backend::Page;
using embedded::EmbeddedBus;
using embedded::SqliteStore;
using embedded::SqliteStoreOptions;

const protocol::User kAlice{"u-alice", "Alice Adams", "essex-cc"};

protocol::Room make_room(const std::string& id) {
  return protocol::Room{id, "Title of " + id, protocol::RoomKind::session, kAlice.id, now_ms(), std::nullopt};
}

AppendRequest make_append(const std::string& room, std::string text, std::optional<std::string> nonce = {}) {
  AppendRequest request;
  request.room = room;
  request.from = kAlice;
  request.text = std::move(text);
  request.nonce = std::move(nonce);
  request.ts = now_ms();
  return request;
}

AppendResult append(SqliteStore& store, AppendRequest request) {
  return await_value<AppendResult>([&](auto done) { store.append(std::move(request), done); });
}

Page latest(SqliteStore& store, const std::string& room) {
  return await_value<Page>([&](auto done) { store.latest(room, 200, done); });
}

// Reads one value with a separate connection, as an operator's sqlite3 shell would.
std::string query_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::string result;
  sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int columns, char** values, char**) {
        for (int i = 0; i < columns; ++i) *static_cast<std::string*>(out) += values[i] ? values[i] : "NULL";
        *static_cast<std::string*>(out) += "\n";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

TEST_CASE("sqlite store: rooms, messages, heads and state survive closing and reopening", "[sqlite]") {
  TempDatabasePath path("reopen");
  EmbeddedBus bus;
  protocol::Room housing = make_room("housing");
  {
    SqliteStore store(path.string(), bus);
    await_value<protocol::Room>([&](auto done) { store.create_room(housing, done); });
    await_value<protocol::Room>([&](auto done) { store.create_room(make_room("transport"), done); });
    for (int i = 1; i <= 5; ++i) append(store, make_append("housing", "h" + std::to_string(i), "n" + std::to_string(i)));
    append(store, make_append("transport", "t1"));
    CHECK(await_value<bool>([&](auto done) { store.save_state("housing", 0, R"({"agenda":[]})", done); }));
    CHECK(store.messages_stored() == 6);
  }
  SqliteStore store(path.string(), bus);
  CHECK(store.messages_stored() == 6);
  CHECK(await_value<std::optional<protocol::Room>>([&](auto done) { store.get_room("housing", done); }) == housing);
  CHECK(await_value<std::vector<protocol::Room>>([&](auto done) { store.list_rooms(done); }).size() == 2);

  auto page = latest(store, "housing");
  CHECK(page.head == 5);
  REQUIRE(page.messages.size() == 5);
  CHECK(page.messages[4].text == "h5");
  CHECK(page.messages[4].nonce == std::optional<std::string>("n5"));

  CHECK(append(store, make_append("housing", "h6")).message.seq == 6);  // the head continues
  CHECK(append(store, make_append("transport", "t2")).message.seq == 2);
  auto repeat = append(store, make_append("housing", "h3 again", "n3"));  // nonces survive too
  CHECK(repeat.duplicate);
  CHECK(repeat.message.seq == 3);
  CHECK(store.messages_stored() == 8);

  auto state = await_value<backend::RoomState>([&](auto done) { store.load_state("housing", done); });
  CHECK(state.version == 1);
  CHECK(state.json == R"({"agenda":[]})");
}

TEST_CASE("sqlite store: WAL mode, schema version and the nonce index", "[sqlite]") {
  TempDatabasePath path("wal");
  EmbeddedBus bus;
  SqliteStore store(path.string(), bus);
  await_value<protocol::Room>([&](auto done) { store.create_room(make_room("housing"), done); });
  CHECK(query_text(path.string(), "PRAGMA journal_mode") == "wal\n");
  CHECK(query_text(path.string(), "PRAGMA user_version") == std::to_string(SqliteStore::schema_version()) + "\n");
  CHECK(SqliteStore::schema_version() >= 1);
  auto plan = query_text(path.string(), std::string("EXPLAIN QUERY PLAN ") + embedded::schema::kFindNonce);
  CHECK_THAT(plan, Catch::Contains("messages_by_nonce"));
  CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
}

TEST_CASE("sqlite store: a database written by a newer schema is refused", "[sqlite]") {
  TempDatabasePath path("newer");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version=999", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  EmbeddedBus bus;
  CHECK_THROWS_WITH(SqliteStore(path.string(), bus), Catch::Contains("newer"));
}

TEST_CASE("sqlite store: an unusable path is a clear error", "[sqlite]") {
  EmbeddedBus bus;
  CHECK_THROWS_AS(SqliteStore("/nonexistent-dir/outloud/x.db", bus), std::runtime_error);
}

TEST_CASE("sqlite store: close finishes every queued request, later requests are unavailable", "[sqlite]") {
  TempDatabasePath path("close");
  EmbeddedBus bus;
  constexpr int kQueued = 500;
  std::vector<Pending<AppendResult>> pending(kQueued);
  {
    SqliteStore store(path.string(), bus);
    await_value<protocol::Room>([&](auto done) { store.create_room(make_room("housing"), done); });
    for (int i = 0; i < kQueued; ++i) store.append(make_append("housing", std::to_string(i)), pending[i].callback());
    store.close();
    for (int i = 0; i < kQueued; ++i) {
      auto result = pending[i].get(std::chrono::milliseconds(0));  // already answered: close waited
      REQUIRE(result.ok());
      CHECK(result.value().message.seq == i + 1);
    }
    auto late = await<AppendResult>([&](auto done) { store.append(make_append("housing", "late"), done); });
    REQUIRE_FALSE(late.ok());
    CHECK(late.error().code == protocol::ErrorCode::unavailable);
  }
  SqliteStore store(path.string(), bus);
  CHECK(latest(store, "housing").head == kQueued);
}

TEST_CASE("sqlite store: a full disk fails its batch as unavailable, publishes nothing, and the store goes on", "[sqlite]") {
  TempDatabasePath path("full");
  EmbeddedBus bus;
  RecordingHandler handler(bus);
  await_value<backend::Unit>([&](auto done) { bus.subscribe("housing", done); });
  std::int64_t last_ok = 0;
  {
    SqliteStoreOptions tiny;
    tiny.max_db_pages = 48;  // a disk that fills up after a few hundred KiB
    SqliteStore store(path.string(), bus, tiny);
    await_value<protocol::Room>([&](auto done) { store.create_room(make_room("housing"), done); });
    const std::string big(8000, 'x');
    std::optional<backend::Error> failure;
    for (int i = 0; i < 500 && !failure; ++i) {
      auto result = await<AppendResult>([&](auto done) { store.append(make_append("housing", big), done); });
      if (result.ok()) {
        CHECK(result.value().message.seq == last_ok + 1);
        last_ok = result.value().message.seq;
      } else {
        failure = result.error();
      }
    }
    REQUIRE(failure.has_value());
    CHECK(failure->code == protocol::ErrorCode::unavailable);  // retry later: it passes by itself
    CHECK(last_ok > 0);
    CHECK(store.messages_stored() == last_ok);

    // Reads still answer and see exactly the acknowledged messages; only those were published.
    auto page = latest(store, "housing");
    CHECK(page.head == last_ok);
    CHECK(static_cast<std::int64_t>(page.messages.size()) == last_ok);
    CHECK(handler.events_for("housing").size() == static_cast<std::size_t>(last_ok));

    // A batch mixing a failing write and a read: the write fails, the read is answered.
    Pending<AppendResult> write;
    Pending<Page> read;
    store.append(make_append("housing", big), write.callback());
    store.latest("housing", 1, read.callback());
    CHECK(write.get().error().code == protocol::ErrorCode::unavailable);
    CHECK(read.get().value().head == last_ok);
  }
  SqliteStore store(path.string(), bus);  // room on the disk again
  CHECK(append(store, make_append("housing", "after the disk was freed")).message.seq == last_ok + 1);
  CHECK(handler.events_for("housing").size() == static_cast<std::size_t>(last_ok + 1));
}

// Runs `sql` with a separate read-write connection (the store must not be open).
void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  REQUIRE(message.empty());
}

TEST_CASE("sqlite store: a failing append fails alone, the rest of its batch is acknowledged", "[sqlite]") {
  TempDatabasePath path("savepoint");
  EmbeddedBus bus;
  RecordingHandler handler(bus);
  for (const char* room : {"housing", "transport"}) {
    await_value<backend::Unit>([&](auto done) { bus.subscribe(room, done); });
  }
  {
    SqliteStore store(path.string(), bus);
    await_value<protocol::Room>([&](auto done) { store.create_room(make_room("housing"), done); });
    await_value<protocol::Room>([&](auto done) { store.create_room(make_room("transport"), done); });
  }
  // A constraint failure on demand: inserting the text "poison" aborts its statement.
  exec_sql(path.string(),
           "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = 'poison' "
           "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END");
  SqliteStore store(path.string(), bus);

  // The worker is held inside the first append's callback while the batch is queued behind it,
  // so the next batch holds all of them.
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  Pending<AppendResult> gate;
  store.append(make_append("housing", "gate"), [&, done = gate.callback()](backend::Result<AppendResult> result) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return release; });
    done(std::move(result));
  });
  constexpr int kBatch = 300;
  constexpr int kPoisonAt = 150;
  std::vector<Pending<AppendResult>> pending(kBatch);
  Pending<AppendResult> missing_room;
  for (int i = 0; i < kBatch; ++i) {
    const char* room = i % 2 == 0 ? "housing" : "transport";
    store.append(make_append(room, i == kPoisonAt ? "poison" : "m" + std::to_string(i)), pending[i].callback());
    if (i == kPoisonAt) store.append(make_append("no-such-room", "lost"), missing_room.callback());
  }
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  REQUIRE(gate.get().ok());

  std::int64_t housing_seq = 1, transport_seq = 0;  // "gate" is housing's seq 1
  for (int i = 0; i < kBatch; ++i) {
    auto result = pending[i].get();
    if (i == kPoisonAt) {
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == protocol::ErrorCode::internal);
      continue;
    }
    REQUIRE(result.ok());
    std::int64_t& expected = i % 2 == 0 ? housing_seq : transport_seq;
    CHECK(result.value().message.seq == ++expected);  // no gap where the poisoned append was
  }
  auto lost = missing_room.get();
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().code == protocol::ErrorCode::not_found);

  CHECK(store.messages_stored() == kBatch);  // the gate and every append but the poisoned one
  CHECK(latest(store, "housing").head == housing_seq);
  CHECK(latest(store, "transport").head == transport_seq);
  CHECK(handler.events_for("housing").size() == static_cast<std::size_t>(housing_seq));
  CHECK(handler.events_for("transport").size() == static_cast<std::size_t>(transport_seq));
  store.close();
  CHECK(query_text(path.string(), "SELECT COUNT(*) FROM messages WHERE text = 'poison'") == "0\n");
}

TEST_CASE("sqlite store: one transaction per request (max_batch 1) keeps the same guarantees", "[sqlite]") {
  TempDatabasePath path("unbatched");
  EmbeddedBus bus;
  SqliteStoreOptions options;
  options.max_batch = 1;
  options.synchronous = SqliteStoreOptions::Synchronous::normal;
  SqliteStore store(path.string(), bus, options);
  await_value<protocol::Room>([&](auto done) { store.create_room(make_room("housing"), done); });
  std::vector<Pending<AppendResult>> pending(50);
  for (int i = 0; i < 50; ++i) store.append(make_append("housing", "m", "same"), pending[i].callback());
  for (int i = 0; i < 50; ++i) {
    auto result = pending[i].get();
    REQUIRE(result.ok());
    CHECK(result.value().message.seq == 1);
    CHECK(result.value().duplicate == (i != 0));
  }
}

}  // namespace contract_sqlite_store_test
}  // namespace outloud::testing
