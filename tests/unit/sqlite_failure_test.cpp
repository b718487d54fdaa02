// A file held by another process past the busy timeout (a backup tool) passes by itself, so a send
// meanwhile answers `unavailable` (retry later), like a full disk (contract_sqlite_store.cpp), and
// stores nothing.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <string>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/sqlite_store.hpp"

namespace outloud::testing {
namespace sqlite_failure_test {

using backend::AppendResult;
using protocol::ErrorCode;

const protocol::User kBea{"u-bea", "Bea Baker", "essex-cc"};

TEST_CASE("sqlite failure: a send while another process holds the file past the busy timeout is unavailable",
          "[sqlite]") {
  TempDatabasePath path("busy");
  embedded::EmbeddedBus bus;
  embedded::SqliteStoreOptions options;
  options.busy_timeout_ms = 50;
  embedded::SqliteStore store(path.string(), bus, options);
  protocol::Room room{"housing", "Housing", protocol::RoomKind::room, kBea.id, now_ms(), std::nullopt};
  await_value<protocol::Room>([&](auto done) { store.create_room(room, done); });

  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.string().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  Pending<AppendResult> refused;
  store.append(make_append("housing", kBea, "while held"), refused.callback());
  auto answer = refused.get();
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().code == ErrorCode::unavailable);

  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto sent = await_value<AppendResult>([&](auto done) { store.append(make_append("housing", kBea, "later"), done); });
  CHECK(sent.message.seq == 1);  // the refused message was not stored
}

}  // namespace sqlite_failure_test
}  // namespace outloud::testing
