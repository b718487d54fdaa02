// What only the in-memory presence promises beyond the contract: list order by `since`, then
// user id, and no expiry (every connection is in this process).
#include <catch2/catch.hpp>

#include <atomic>

#include "await.hpp"
#include "server/embedded/memory_presence.hpp"

namespace outloud::testing {
namespace contract_memory_presence_test {

TEST_CASE("memory presence: list is ordered by since, then user id", "[presence][embedded]") {
  std::atomic<std::int64_t> clock{1000};
  embedded::MemoryPresence presence([&] { return clock.load(); });
  bool expired = false;
  presence.set_expiry_handler([&](std::string, protocol::User) { expired = true; });
  auto join = [&](const std::string& conn, const protocol::User& user) {
    return await_value<bool>([&](auto done) { presence.join("housing", conn, user, done); });
  };
  join("n/1", {"u-zed", "Zed", "org"});
  join("n/2", {"u-bea", "Bea", "org"});
  clock = 2000;
  join("n/3", {"u-amy", "Amy", "org"});
  join("n/4", {"u-zed", "Zed", "org"});  // a second connection keeps Zed's since

  auto entries = await_value<std::vector<protocol::PresenceEntry>>([&](auto done) { presence.list("housing", done); });
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].user.id == "u-bea");
  CHECK(entries[0].since == 1000);
  CHECK(entries[1].user.id == "u-zed");
  CHECK(entries[1].since == 1000);
  CHECK(entries[2].user.id == "u-amy");
  CHECK(entries[2].since == 2000);
  CHECK_FALSE(expired);
}

}  // namespace contract_memory_presence_test
}  // namespace outloud::testing
