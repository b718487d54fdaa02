// The Redis AccountStore as a cluster: two nodes (each its own connection and io_context thread) on
// one real redis-server and key prefix, racing for the same codes; and what it leaves in Redis.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "redis_node.hpp"
#include "redis_server.hpp"
#include "server/accounts/secrets.hpp"

namespace outloud::testing {
namespace redis_accounts_test {

using accounts::Invitation;
using accounts::Session;
using accounts::SignInCode;
using accounts::Unit;

std::string fresh_prefix(const std::string& name) {
  static std::atomic<int> counter{0};
  return "accounts:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":" + name + ":";
}

// A one-use invitation to essex-cc for `code`, valid for a minute from `t`.
Invitation invitation_for(const std::string& code, std::int64_t t) {
  Invitation invitation;
  invitation.id = accounts::new_public_id();
  invitation.code_hash = accounts::secret_hash(code);
  invitation.org = "essex-cc";
  invitation.expires_at = t + 60000;
  invitation.created_by = "u-admin";
  invitation.created_at = t;
  return invitation;
}

TEST_CASE("redis accounts: a one-use invitation redeemed on two nodes at once is taken once", "[redis][accounts]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("race");
  RedisNode a(server.url(), "node-a", prefix);
  RedisNode b(server.url(), "node-b", prefix);
  auto& on_a = a.backends().accounts();
  auto& on_b = b.backends().accounts();
  const std::int64_t t = now_ms();

  for (int round = 0; round < 10; ++round) {
    const Invitation invitation = invitation_for(accounts::new_secret(), t);
    await_value<Unit>([&](auto done) { on_a.create_invitation(invitation, done); });

    // Ten tries on each node, sent together.
    std::vector<Pending<Invitation>> tries(20);
    for (std::size_t i = 0; i < tries.size(); ++i) {
      auto& store = i % 2 == 0 ? on_a : on_b;
      store.redeem_invitation(invitation.code_hash, t, tries[i].callback());
    }
    int successes = 0;
    for (auto& attempt : tries) {
      auto result = attempt.get();
      if (result.ok()) {
        ++successes;
        CHECK(result.value().uses_left == 0);
      } else {
        CHECK(result.error().code == protocol::ErrorCode::not_found);
      }
    }
    CHECK(successes == 1);
  }
}

// --redis-wait-replicas on a Redis without replicas: no write is acknowledged, for WAIT cannot
// confirm it. A used code stays used, though: the write stands on the master.
TEST_CASE("redis accounts: with WAIT and no replica, writes answer unavailable", "[redis][accounts][wait]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("wait");
  RedisNode plain(server.url(), "node-plain", prefix);
  RedisNode waiting(server.url(), "node-wait", prefix, {}, true, 1);
  const std::int64_t t = now_ms();
  auto unavailable = [](const auto& result) {
    return !result.ok() && result.error().code == protocol::ErrorCode::unavailable;
  };

  const auto refused = invitation_for(accounts::new_secret(), t);
  CHECK(unavailable(await<Unit>([&](auto done) { waiting.backends().accounts().create_invitation(refused, done); })));
  Session session{accounts::new_public_id(), accounts::secret_hash(accounts::new_secret()), "u-wyn", t, t, false};
  CHECK(unavailable(await<Unit>([&](auto done) { waiting.backends().accounts().create_session(session, done); })));

  // Made through a node without WAIT, redeemed through one with it: refused, yet used up.
  const auto made = invitation_for(accounts::new_secret(), t);
  await_value<Unit>([&](auto done) { plain.backends().accounts().create_invitation(made, done); });
  CHECK(unavailable(await<Invitation>([&](auto done) { waiting.backends().accounts().redeem_invitation(made.code_hash, t, done); })));
  auto again = await<Invitation>([&](auto done) { plain.backends().accounts().redeem_invitation(made.code_hash, t, done); });
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == protocol::ErrorCode::not_found);

  // Reads need no replica.
  CHECK(await<std::optional<Invitation>>([&](auto done) { waiting.backends().accounts().get_invitation(made.id, done); }).ok());
  // And the store's writes wait alike: a room.
  protocol::Room room;
  room.id = "wait-" + std::to_string(t);
  room.title = "Waiting";
  room.created_by = "u-wyn";
  room.created_at = t;
  CHECK(unavailable(await<protocol::Room>([&](auto done) { waiting.store().create_room(room, done); })));
}

TEST_CASE("redis accounts: a session revoked on one node is revoked for the other at once", "[redis][accounts]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("revoke");
  RedisNode a(server.url(), "node-a", prefix);
  RedisNode b(server.url(), "node-b", prefix);
  const std::string token = accounts::new_secret();
  const std::int64_t t = now_ms();
  Session session{accounts::new_public_id(), accounts::secret_hash(token), "u-fiona", t, t, false};
  await_value<Unit>([&](auto done) { a.backends().accounts().create_session(session, done); });

  auto seen_by_b = [&] {
    return await_value<std::optional<Session>>(
        [&](auto done) { b.backends().accounts().find_session(session.token_hash, done); });
  };
  REQUIRE(seen_by_b().has_value());
  CHECK_FALSE(seen_by_b()->revoked);
  await_value<Session>([&](auto done) { a.backends().accounts().revoke_session(session.id, done); });
  REQUIRE(seen_by_b().has_value());
  CHECK(seen_by_b()->revoked);
}

TEST_CASE("redis accounts: a session's keys expire its lifetime after its last use, moved on by use",
          "[redis][accounts][sessions]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("lifetime");
  constexpr std::int64_t kLifetime = 60'000;
  RedisNode node(server.url(), "node-a", prefix, {}, true, 0, kLifetime);
  auto& store = node.backends().accounts();
  const std::string base = prefix + "{accounts}:";
  const std::int64_t t = now_ms();
  auto pttl = [&](const std::string& key) { return std::stoll(server.command({"PTTL", key})); };

  Session used{accounts::new_public_id(), accounts::secret_hash(accounts::new_secret()), "u-fiona", t, t, false};
  await_value<Unit>([&](auto done) { store.create_session(used, done); });
  for (const auto& key : {base + "session:" + used.id, base + "token:" + used.token_hash}) {
    CHECK(pttl(key) > 0);
    CHECK(pttl(key) <= kLifetime);
  }
  await_value<Unit>([&](auto done) { store.touch_session(used.id, t + 30'000, done); });
  for (const auto& key : {base + "session:" + used.id, base + "token:" + used.token_hash}) {
    CHECK(pttl(key) > kLifetime);  // t + 30 s + the lifetime
  }

  // Last used longer ago than the lifetime: gone, not found, and no longer listed.
  Session old{accounts::new_public_id(), accounts::secret_hash(accounts::new_secret()), "u-fiona", t - 1, t - kLifetime - 1, false};
  await_value<Unit>([&](auto done) { store.create_session(old, done); });
  CHECK_FALSE(await_value<std::optional<Session>>([&](auto done) { store.find_session(old.token_hash, done); }));
  auto listed = await_value<std::vector<Session>>([&](auto done) { store.list_sessions("u-fiona", 10, done); });
  REQUIRE(listed.size() == 1);
  CHECK(listed.front().id == used.id);
  CHECK(server.command({"ZSCORE", base + "sessions:u-fiona", old.id}) == "<nil>");
}

TEST_CASE("redis accounts: keys live under the deployment's prefix and one hash tag; codes expire",
          "[redis][accounts]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("layout");
  RedisNode node(server.url(), "node-a", prefix);
  auto& store = node.backends().accounts();
  const std::int64_t t = now_ms();
  const std::string base = prefix + "{accounts}:";

  SignInCode code{accounts::secret_hash("mailed"), "bob@nhs.net", t + 15 * 60 * 1000};
  await_value<Unit>([&](auto done) { store.create_sign_in_code(code, done); });
  // Kept a day past the code's own 15 minutes at most, then Redis drops it.
  const long long ttl = std::stoll(server.command({"PTTL", base + "sign-in:" + code.code_hash}));
  CHECK(ttl > 15 * 60 * 1000);
  CHECK(ttl <= 15 * 60 * 1000 + 24LL * 60 * 60 * 1000);

  Invitation invitation;
  invitation.id = accounts::new_public_id();
  invitation.code_hash = accounts::secret_hash("invited");
  invitation.org = "essex-cc";
  invitation.expires_at = t + 60000;
  invitation.created_by = "u-admin";
  invitation.created_at = t;
  await_value<Unit>([&](auto done) { store.create_invitation(invitation, done); });
  CHECK(server.command({"GET", base + "code:" + invitation.code_hash}) == invitation.id);
  CHECK(std::stoll(server.command({"PTTL", base + "code:" + invitation.code_hash})) > 0);
  CHECK(server.command({"HGET", base + "invitation:" + invitation.id, "uses_left"}) == "1");

  // No secret is stored as such: only its hash appears, in key names and fields.
  CHECK(server.command({"EXISTS", base + "sign-in:mailed"}) == "0");
  CHECK(server.command({"EXISTS", base + "code:invited"}) == "0");

  // Setup codes: one set; the single code an earlier version stored joins it and keeps working.
  server.command({"SET", base + "setup", accounts::secret_hash("from an earlier version")});
  await_value<Unit>([&](auto done) { store.put_setup_code(accounts::secret_hash("setup"), done); });
  CHECK(server.command({"EXISTS", base + "setup"}) == "0");
  CHECK(server.command({"SISMEMBER", base + "setup-codes", accounts::secret_hash("setup")}) == "1");
  await_value<Unit>([&](auto done) {
    store.consume_setup_code(accounts::secret_hash("from an earlier version"), done);
  });
  // Used: every code gone in the same step, and the setup marked done.
  CHECK(server.command({"EXISTS", base + "setup-codes"}) == "0");
  CHECK(server.command({"GET", base + "setup-done"}) == "1");
}

TEST_CASE("redis accounts: calls fail with unavailable while Redis is down, and work once it is back",
          "[redis][accounts]") {
  RedisServer server;
  RedisNode node(server.url(), "node-a", fresh_prefix("outage"));
  auto& store = node.backends().accounts();
  server.stop();
  REQUIRE(node.wait_for_health("down", std::chrono::seconds(10)));
  auto down = await<bool>([&](auto done) { store.has_admin(done); });
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == protocol::ErrorCode::unavailable);
  server.start();
  REQUIRE(node.wait_for_health("up", std::chrono::seconds(10)));
  CHECK_FALSE(await_value<bool>([&](auto done) { store.has_admin(done); }));
}

}  // namespace redis_accounts_test
}  // namespace outloud::testing
