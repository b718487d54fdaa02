// The SQLite store's reader pool (--store-readers): pages of messages are read on read-only
// connections beside the writer, so they are answered while the writer waits (for a lock, a long
// batch, an fsync), and a read issued after an acknowledged append always includes it. Bulk pages
// (--store-bulk-readers) have their own lane: an interactive read never waits behind them.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/sqlite_store.hpp"

namespace outloud::testing {
namespace sqlite_readers_test {

using backend::AppendResult;
using backend::Page;
using backend::ReadLane;
using embedded::EmbeddedBus;
using embedded::SqliteStore;
using embedded::SqliteStoreOptions;

const protocol::User kBea{"u-bea", "Bea Baker", "essex-cc"};

void create_room(SqliteStore& store, const std::string& id) {
  protocol::Room room{id, "Title of " + id, protocol::RoomKind::room, kBea.id, now_ms(), std::nullopt};
  await_value<protocol::Room>([&](auto done) { store.create_room(room, done); });
}

// Another process's write transaction on the file (a backup tool, an operator's shell) holds the
// write lock until the guard goes.
class WriteLock {
 public:
  explicit WriteLock(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~WriteLock() { release(); }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  void release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_CASE("sqlite readers: a page is answered while the writer waits for the write lock", "[sqlite]") {
  TempDatabasePath path("readers-lock");
  EmbeddedBus bus;
  const bool pool = GENERATE(true, false);
  SqliteStoreOptions options;
  options.readers = pool ? 2 : 0;
  SqliteStore store(path.string(), bus, options);
  create_room(store, "housing");
  await_value<AppendResult>([&](auto done) { store.append(make_append("housing", kBea, "before the lock"), done); });

  WriteLock lock(path.string());
  Pending<AppendResult> blocked;
  store.append(make_append("housing", kBea, "during the lock"), blocked.callback());
  Pending<Page> page;
  store.latest("housing", 50, page.callback());
  if (pool) {
    auto read = page.get(std::chrono::milliseconds(2000));
    REQUIRE(read.ok());
    REQUIRE(read.value().messages.size() == 1);
    CHECK(read.value().messages[0].text == "before the lock");
    CHECK(read.value().head == 1);
  } else {
    // Without readers the page waits behind the append on the writer's thread.
    CHECK_THROWS(page.get(std::chrono::milliseconds(300)));
  }
  lock.release();
  auto appended = blocked.get();
  REQUIRE(appended.ok());
  CHECK(appended.value().message.seq == 2);
  if (!pool) CHECK(page.get().ok());
}

TEST_CASE("sqlite readers: a read issued after an append was acknowledged includes it", "[sqlite]") {
  TempDatabasePath path("readers-after-ack");
  EmbeddedBus bus;
  SqliteStoreOptions options;
  options.readers = 3;
  SqliteStore store(path.string(), bus, options);
  create_room(store, "housing");
  for (int i = 1; i <= 100; ++i) {
    auto sent = await_value<AppendResult>([&](auto done) {
      store.append(make_append("housing", kBea, "message " + std::to_string(i)), done);
    });
    REQUIRE(sent.message.seq == i);
    auto newest = await_value<Page>([&](auto done) { store.latest("housing", 1, done); });
    REQUIRE(newest.head == i);
    REQUIRE(newest.messages.size() == 1);
    CHECK(newest.messages[0].seq == i);
    auto after = await_value<Page>([&](auto done) { store.after("housing", i - 1, 10, done); });
    REQUIRE(after.messages.size() == 1);
    CHECK(after.messages[0].text == "message " + std::to_string(i));
  }
  auto before = await_value<Page>([&](auto done) { store.before("housing", 51, 10, done); });
  REQUIRE(before.messages.size() == 10);
  CHECK(before.messages.front().seq == 41);
  CHECK(before.messages.back().seq == 50);
  CHECK(before.head == 100);
  auto unknown = await_value<Page>([&](auto done) { store.latest("nowhere", 10, done); });
  CHECK(unknown.messages.empty());
  CHECK(unknown.head == 0);
}

TEST_CASE("sqlite readers: close finishes the reads queued, later reads are unavailable", "[sqlite]") {
  TempDatabasePath path("readers-close");
  EmbeddedBus bus;
  SqliteStore store(path.string(), bus);
  create_room(store, "housing");
  await_value<AppendResult>([&](auto done) { store.append(make_append("housing", kBea, "hello"), done); });
  constexpr int kQueued = 200;
  std::vector<Pending<Page>> pending(kQueued);
  for (auto& p : pending) store.latest("housing", 10, p.callback());
  store.close();
  for (auto& p : pending) {
    auto page = p.get(std::chrono::milliseconds(0));  // already answered: close waited
    REQUIRE(page.ok());
    CHECK(page.value().messages.size() == 1);
  }
  auto late = await<Page>([&](auto done) { store.latest("housing", 10, done); });
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == protocol::ErrorCode::unavailable);
}

// A bulk read whose callback holds its reader thread until released: the lane is busy.
struct HeldRead {
  std::promise<void> release;
  std::promise<void> started;
  backend::Callback<Page> callback() {
    return [this, go = release.get_future().share()](backend::Result<Page>) {
      started.set_value();
      go.wait();
    };
  }
};

TEST_CASE("sqlite readers: a join's read is answered while bulk reads hold every bulk reader", "[sqlite]") {
  TempDatabasePath path("readers-lanes");
  EmbeddedBus bus;
  SqliteStoreOptions options;
  options.readers = 1;
  options.bulk_readers = GENERATE(1, 2);
  SqliteStore store(path.string(), bus, options);
  create_room(store, "housing");
  await_value<AppendResult>([&](auto done) { store.append(make_append("housing", kBea, "hello"), done); });

  std::vector<std::unique_ptr<HeldRead>> held;
  for (std::size_t i = 0; i < options.bulk_readers; ++i) {
    held.push_back(std::make_unique<HeldRead>());
    store.latest("housing", 200, held.back()->callback(), ReadLane::bulk);
  }
  for (auto& h : held) h->started.get_future().wait();
  Pending<Page> queued_bulk;  // waits for a bulk reader: the interactive one does not take it
  store.after("housing", 0, 200, queued_bulk.callback(), ReadLane::bulk);
  Pending<Page> join;
  store.latest("housing", 1, join.callback());
  auto read = join.get(std::chrono::milliseconds(2000));
  REQUIRE(read.ok());
  CHECK(read.value().messages.size() == 1);
  CHECK_THROWS(queued_bulk.get(std::chrono::milliseconds(100)));
  for (auto& h : held) h->release.set_value();
  auto bulk = queued_bulk.get();
  REQUIRE(bulk.ok());
  CHECK(bulk.value().messages.size() == 1);
}

TEST_CASE("sqlite readers: without bulk readers, the readers read bulk pages after interactive ones", "[sqlite]") {
  TempDatabasePath path("readers-one-lane");
  EmbeddedBus bus;
  SqliteStoreOptions options;
  options.readers = 1;
  options.bulk_readers = 0;
  SqliteStore store(path.string(), bus, options);
  create_room(store, "housing");
  await_value<AppendResult>([&](auto done) { store.append(make_append("housing", kBea, "hello"), done); });

  HeldRead held;  // the only reader is busy while both reads below are queued
  store.latest("housing", 1, held.callback());
  held.started.get_future().wait();
  std::vector<std::string> order;
  std::mutex order_mutex;
  auto note = [&](std::string what) {
    return [&, what](backend::Result<Page> page) {  // on the reader's thread: no REQUIRE here
      std::lock_guard lock(order_mutex);
      order.push_back(page.ok() ? what : what + " failed");
    };
  };
  Pending<Page> last;
  store.latest("housing", 200, note("bulk"), ReadLane::bulk);
  store.latest("housing", 1, note("interactive"));
  store.latest("housing", 200, last.callback(), ReadLane::bulk);
  held.release.set_value();
  REQUIRE(last.get().ok());
  std::lock_guard lock(order_mutex);
  CHECK(order == std::vector<std::string>{"interactive", "bulk"});
}

}  // namespace sqlite_readers_test
}  // namespace outloud::testing
