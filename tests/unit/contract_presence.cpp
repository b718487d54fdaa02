// The PresenceRegistry contract (server/backend/presence.hpp), run against every backend kind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"

namespace outloud::testing {
namespace contract_presence_test {

using protocol::PresenceEntry;
using protocol::PresenceState;

const protocol::User kAlice{"u-alice", "Alice Adams", "essex-cc"};
const protocol::User kBob{"u-bob", "Bob Brown", "nhs-ee"};

struct Registry {
  backend::PresenceRegistry& presence;

  bool join(const std::string& room, const std::string& conn, const protocol::User& user) {
    return await_value<bool>([&](auto done) { presence.join(room, conn, user, done); });
  }
  bool leave(const std::string& room, const std::string& conn, const std::string& user_id) {
    return await_value<bool>([&](auto done) { presence.leave(room, conn, user_id, done); });
  }
  bool set_state(const std::string& room, const std::string& user_id, PresenceState state) {
    return await_value<bool>([&](auto done) { presence.set_state(room, user_id, state, done); });
  }
  // Sorted by user id: the contract does not fix the order.
  std::vector<PresenceEntry> list(const std::string& room) {
    auto entries = await_value<std::vector<PresenceEntry>>([&](auto done) { presence.list(room, done); });
    std::sort(entries.begin(), entries.end(),
              [](const PresenceEntry& a, const PresenceEntry& b) { return a.user.id < b.user.id; });
    return entries;
  }
  std::vector<int> counts(std::vector<std::string> rooms) {
    return await_value<std::vector<int>>([&](auto done) { presence.online_counts(rooms, done); });
  }
};

TEST_CASE("presence: a user with several connections counts once; first and last are reported",
          "[contract][presence]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "presence-count");
    Registry registry{backends->presence()};
    auto before = now_ms();

    CHECK(registry.join("housing", "node-1/1", kAlice));        // first connection of Alice
    CHECK_FALSE(registry.join("housing", "node-1/2", kAlice));  // second: not first
    CHECK_FALSE(registry.join("housing", "node-2/9", kAlice));  // on another node: not first either
    CHECK(registry.join("housing", "node-1/3", kBob));
    CHECK(registry.join("transport", "node-1/1", kAlice));      // rooms are separate

    auto entries = registry.list("housing");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].user == kAlice);
    CHECK(entries[0].state == PresenceState::online);
    CHECK(entries[0].since >= before - 1000);
    CHECK(entries[0].since <= now_ms() + 1000);
    CHECK(entries[1].user == kBob);
    CHECK(registry.counts({"housing", "transport", "empty"}) == std::vector<int>{2, 1, 0});

    CHECK_FALSE(registry.leave("housing", "node-1/1", kAlice.id));
    CHECK_FALSE(registry.leave("housing", "node-2/9", kAlice.id));
    CHECK_FALSE(registry.leave("housing", "node-1/7", kAlice.id));  // a connection never joined
    CHECK(registry.counts({"housing"}) == std::vector<int>{2});
    CHECK(registry.leave("housing", "node-1/2", kAlice.id));  // the last one
    CHECK_FALSE(registry.leave("housing", "node-1/2", kAlice.id));  // already gone
    CHECK_FALSE(registry.leave("nowhere", "node-1/2", kAlice.id));

    entries = registry.list("housing");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].user == kBob);
    CHECK(registry.counts({"transport", "housing"}) == std::vector<int>{1, 1});

    CHECK(registry.leave("housing", "node-1/3", kBob.id));
    CHECK(registry.list("housing").empty());
    CHECK(registry.counts({"housing"}) == std::vector<int>{0});

    // Coming back is a first connection again.
    CHECK(registry.join("housing", "node-1/4", kBob));
  }
}

TEST_CASE("presence: set_state reports whether the state changed", "[contract][presence]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "presence-state");
    Registry registry{backends->presence()};
    registry.join("housing", "node-1/1", kAlice);
    registry.join("housing", "node-1/2", kAlice);
    registry.join("housing", "node-1/3", kBob);
    registry.join("transport", "node-1/1", kAlice);

    CHECK(registry.set_state("housing", kAlice.id, PresenceState::away));
    CHECK_FALSE(registry.set_state("housing", kAlice.id, PresenceState::away));
    auto entries = registry.list("housing");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].state == PresenceState::away);
    CHECK(entries[1].state == PresenceState::online);
    CHECK(registry.list("transport")[0].state == PresenceState::online);  // per room

    CHECK(registry.set_state("housing", kAlice.id, PresenceState::online));
    CHECK_FALSE(registry.set_state("housing", kAlice.id, PresenceState::online));
    CHECK_FALSE(registry.set_state("housing", "u-absent", PresenceState::away));  // not present
    CHECK(registry.list("housing").size() == 2);
  }
}

TEST_CASE("presence: concurrent joins of one user report exactly one first", "[contract][presence]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "presence-race");
    auto& presence = backends->presence();
    constexpr int kConnections = 16;
    std::vector<Pending<bool>> joins(kConnections);
    for (int i = 0; i < kConnections; ++i) {
      presence.join("housing", "node-1/" + std::to_string(i), kAlice, joins[i].callback());
    }
    int firsts = 0;
    for (auto& join : joins) firsts += join.get().value() ? 1 : 0;
    CHECK(firsts == 1);

    std::vector<Pending<bool>> leaves(kConnections);
    for (int i = 0; i < kConnections; ++i) {
      presence.leave("housing", "node-1/" + std::to_string(i), kAlice.id, leaves[i].callback());
    }
    int lasts = 0;
    for (auto& leave : leaves) lasts += leave.get().value() ? 1 : 0;
    CHECK(lasts == 1);
    CHECK(Registry{presence}.list("housing").empty());
  }
}

TEST_CASE("presence: pages list every user present at least once, with the count", "[contract][presence]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "presence-page");
    auto& presence = backends->presence();
    Registry registry{presence};
    for (int i = 0; i < 7; ++i) {
      const protocol::User user{"u-" + std::to_string(i), "Person " + std::to_string(i), "essex-cc"};
      CHECK(registry.join("big", "node-1/" + std::to_string(i), user));
    }
    std::vector<std::string> seen;
    std::string after;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = await_value<backend::PresencePage>([&](auto done) { presence.page("big", after, 3, done); });
      CHECK(page.online == 7);
      for (const auto& entry : page.entries) seen.push_back(entry.user.id);
      if (!page.next) break;
      after = *page.next;
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    CHECK(seen.size() == 7);
    auto empty = await_value<backend::PresencePage>([&](auto done) { presence.page("nobody", "", 3, done); });
    CHECK(empty.entries.empty());
    CHECK(empty.online == 0);
    CHECK_FALSE(empty.next);
  }
}

}  // namespace contract_presence_test
}  // namespace outloud::testing
