// The Redis backends as a cluster: several nodes (each its own RedisBackends and io_context thread)
// on one real redis-server, and that server going away and coming back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "redis_node.hpp"
#include "redis_server.hpp"

namespace outloud::testing {
namespace redis_nodes_test {

using namespace std::chrono_literals;
using backend::AppendRequest;
using backend::BusEvent;

const protocol::User kAlice{"u-alice", "Alice Adams", "essex-cc"};
const protocol::User kBob{"u-bob", "Bob Brown", "met-police"};

std::string fresh_prefix(const std::string& name) {
  static std::atomic<int> counter{0};
  return "nodes:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":" + name + ":";
}

protocol::Room make_room(const std::string& id) {
  protocol::Room room;
  room.id = id;
  room.title = "Room " + id;
  room.created_by = kAlice.id;
  room.created_at = now_ms();
  return room;
}

void subscribe(backend::Bus& bus, const std::string& room) {
  await_value<backend::Unit>([&](auto done) { bus.subscribe(room, done); });
}

TEST_CASE("redis nodes: concurrent appends on two nodes share one gap-free seq, seen in order by both",
          "[redis]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("order");
  RedisNode a(server.url(), "node-a", prefix);
  RedisNode b(server.url(), "node-b", prefix);
  RecordingHandler seen_by_a(a.bus());
  RecordingHandler seen_by_b(b.bus());
  subscribe(a.bus(), "housing");
  subscribe(b.bus(), "housing");
  await_value<protocol::Room>([&](auto done) { a.store().create_room(make_room("housing"), done); });

  constexpr int kPerNode = 500;
  std::mutex mutex;
  std::set<std::int64_t> seqs;
  std::vector<protocol::Message> acknowledged;
  Countdown answered(2 * kPerNode);
  std::atomic<int> failures{0};
  auto send_all = [&](RedisNode& node, const protocol::User& user) {
    for (int i = 0; i < kPerNode; ++i) {
      node.store().append(make_append("housing", user, user.name + " #" + std::to_string(i)),
                          [&](backend::Result<backend::AppendResult> result) {
                            if (result.ok()) {
                              std::lock_guard lock(mutex);
                              seqs.insert(result.value().message.seq);
                              acknowledged.push_back(result.value().message);
                            } else {
                              ++failures;
                            }
                            answered.arrive();
                          });
    }
  };
  std::thread first([&] { send_all(a, kAlice); });
  std::thread second([&] { send_all(b, kBob); });
  first.join();
  second.join();
  REQUIRE(answered.wait(30s));
  CHECK(failures == 0);
  REQUIRE(seqs.size() == 2 * kPerNode);
  CHECK(*seqs.begin() == 1);
  CHECK(*seqs.rbegin() == 2 * kPerNode);

  for (RecordingHandler* recorder : {&seen_by_a, &seen_by_b}) {
    REQUIRE(recorder->wait_for_events(2 * kPerNode));
    auto events = recorder->events();
    REQUIRE(events.size() == 2 * kPerNode);
    for (std::size_t i = 0; i < events.size(); ++i) {
      INFO("event " << i);
      REQUIRE(events[i].kind == BusEvent::Kind::message);
      REQUIRE(events[i].room == "housing");
      REQUIRE(events[i].seq == static_cast<std::int64_t>(i + 1));
    }
  }
  // The payload is the frame clients receive, exactly as this node would have serialized it.
  std::sort(acknowledged.begin(), acknowledged.end(),
            [](const protocol::Message& x, const protocol::Message& y) { return x.seq < y.seq; });
  auto events = seen_by_b.events();
  CHECK(*events[0].payload == protocol::message_event(acknowledged[0]));
  CHECK(*events[777].payload == protocol::message_event(acknowledged[777]));

  // History reads the same stream from either node.
  auto page = await_value<backend::Page>([&](auto done) { b.store().after("housing", 990, 50, done); });
  CHECK(page.head == 2 * kPerNode);
  REQUIRE(page.messages.size() == 10);
  CHECK(page.messages.front() == acknowledged[990]);
}

TEST_CASE("redis nodes: a nonce is idempotent across nodes", "[redis]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("nonce");
  RedisNode a(server.url(), "node-a", prefix);
  RedisNode b(server.url(), "node-b", prefix);
  RecordingHandler seen(b.bus());
  subscribe(b.bus(), "housing");
  await_value<protocol::Room>([&](auto done) { a.store().create_room(make_room("housing"), done); });

  auto first = await_value<backend::AppendResult>(
      [&](auto done) { a.store().append(make_append("housing", kAlice, "hello", "n-1"), done); });
  auto again = await_value<backend::AppendResult>(
      [&](auto done) { b.store().append(make_append("housing", kAlice, "hello (resent)", "n-1"), done); });
  CHECK_FALSE(first.duplicate);
  CHECK(again.duplicate);
  CHECK(again.message == first.message);
  auto other = await_value<backend::AppendResult>(
      [&](auto done) { b.store().append(make_append("housing", kAlice, "next", "n-2"), done); });
  CHECK(other.message.seq == 2);
  REQUIRE(seen.wait_for_events(2));
  std::this_thread::sleep_for(100ms);
  CHECK(seen.events().size() == 2);  // the duplicate published nothing
}

TEST_CASE("redis nodes: presence is shared, and a user on two nodes counts once", "[redis]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("presence");
  RedisNode a(server.url(), "node-a", prefix);
  RedisNode b(server.url(), "node-b", prefix);
  auto join = [](RedisNode& node, const std::string& key, const protocol::User& user) {
    return await_value<bool>([&](auto done) { node.presence().join("housing", key, user, done); });
  };
  auto leave = [](RedisNode& node, const std::string& key, const protocol::User& user) {
    return await_value<bool>([&](auto done) { node.presence().leave("housing", key, user.id, done); });
  };
  auto list = [](RedisNode& node) {
    return await_value<std::vector<protocol::PresenceEntry>>(
        [&](auto done) { node.presence().list("housing", done); });
  };

  CHECK(join(a, "node-a/1", kAlice));
  CHECK_FALSE(join(b, "node-b/7", kAlice));
  CHECK(join(b, "node-b/8", kBob));
  auto entries = list(a);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].user == kAlice);
  CHECK(entries[1].user == kBob);
  CHECK(entries[0].since > 0);
  CHECK(await_value<std::vector<int>>([&](auto done) { b.presence().online_counts({"housing", "empty"}, done); }) ==
        std::vector<int>{2, 0});

  CHECK(await_value<bool>(
      [&](auto done) { b.presence().set_state("housing", kAlice.id, protocol::PresenceState::away, done); }));
  CHECK_FALSE(await_value<bool>(
      [&](auto done) { a.presence().set_state("housing", kAlice.id, protocol::PresenceState::away, done); }));
  CHECK(list(a)[0].state == protocol::PresenceState::away);

  CHECK_FALSE(leave(a, "node-a/1", kAlice));  // still connected through node b
  CHECK_FALSE(leave(a, "node-a/1", kAlice));  // unknown key: nothing
  CHECK(leave(b, "node-b/7", kAlice));
  entries = list(b);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].user == kBob);
}

TEST_CASE("redis nodes: the entries of a node that stops refreshing expire, reported once", "[redis]") {
  auto& server = shared_redis_server();
  const std::string prefix = fresh_prefix("expiry");
  redis::PresenceOptions fast;
  fast.ttl = 1500ms;
  fast.refresh = 300ms;
  fast.sweep = 100ms;
  RedisNode dying(server.url(), "node-dying", prefix, fast);
  RedisNode b(server.url(), "node-b", prefix, fast);
  RedisNode c(server.url(), "node-c", prefix, fast);

  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> expired;  // room, user id (from b and c)
  auto record = [&](std::string room, protocol::User user) {
    std::lock_guard lock(mutex);
    expired.emplace_back(std::move(room), user.id);
  };
  b.presence().set_expiry_handler(record);
  c.presence().set_expiry_handler(record);

  auto join = [](RedisNode& node, const std::string& room, const std::string& key, const protocol::User& user) {
    return await_value<bool>([&](auto done) { node.presence().join(room, key, user, done); });
  };
  CHECK(join(dying, "housing", "node-dying/1", kAlice));
  CHECK(join(dying, "housing", "node-dying/2", kBob));
  CHECK_FALSE(join(b, "housing", "node-b/1", kBob));  // Bob is also on a live node
  CHECK(join(dying, "transport", "node-dying/1", kAlice));

  // Live entries outlast several ttls while they are refreshed.
  std::this_thread::sleep_for(2500ms);
  {
    std::lock_guard lock(mutex);
    CHECK(expired.empty());
  }
  dying.backends().redis_presence().abandon();  // as if the process had died
  std::this_thread::sleep_for(3000ms);
  std::vector<std::pair<std::string, std::string>> seen;
  {
    std::lock_guard lock(mutex);
    seen = expired;
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"housing", kAlice.id}, {"transport", kAlice.id}});
  auto entries =
      await_value<std::vector<protocol::PresenceEntry>>([&](auto done) { c.presence().list("housing", done); });
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].user == kBob);
}

TEST_CASE("redis outage: calls fail fast, the node reconnects by itself, re-subscribes and says so",
          "[redis]") {
  RedisServer server;  // its own: this test stops it
  RedisNode node(server.url(), "node-a", "outage:");
  RedisNode other(server.url(), "node-b", "outage:");
  RecordingHandler recorder(node.bus());
  subscribe(node.bus(), "housing");
  await_value<protocol::Room>([&](auto done) { node.store().create_room(make_room("housing"), done); });
  CHECK(await_value<backend::AppendResult>(
            [&](auto done) { node.store().append(make_append("housing", kAlice, "before"), done); })
            .message.seq == 1);

  server.stop();
  REQUIRE(node.wait_for_health("down", 3s));
  const auto started = std::chrono::steady_clock::now();
  auto refused = await<backend::AppendResult>(
      [&](auto done) { node.store().append(make_append("housing", kAlice, "during"), done); });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == protocol::ErrorCode::unavailable);
  auto no_publish = await<backend::Unit>([&](auto done) {
    BusEvent event;
    event.room = "housing";
    event.payload = std::make_shared<const std::string>("{}");
    node.bus().publish(event, done);
  });
  CHECK_FALSE(no_publish.ok());
  auto no_join = await<bool>([&](auto done) { node.presence().join("housing", "node-a/1", kAlice, done); });
  CHECK_FALSE(no_join.ok());
  CHECK(std::chrono::steady_clock::now() - started < 500ms);
  std::this_thread::sleep_for(1s);  // several reconnect attempts fail meanwhile

  server.start();
  REQUIRE(node.wait_for_health("up", 10s));
  REQUIRE(recorder.wait_for_reconnects(1, 10s));
  CHECK(recorder.reconnects() == 1);

  // The subscription is back: a message sent through the other node arrives.
  REQUIRE(other.wait_for_health("up", 10s));
  auto after = await_value<backend::AppendResult>(
      [&](auto done) { other.store().append(make_append("housing", kBob, "after"), done); });
  CHECK(after.message.seq == 2);  // the refused one took no seq
  REQUIRE(recorder.wait_for_events(2));
  auto events = recorder.events();
  CHECK(events.back().seq == 2);
  // What was acknowledged before the restart is still there (AOF).
  auto page = await_value<backend::Page>([&](auto done) { node.store().latest("housing", 10, done); });
  REQUIRE(page.messages.size() == 2);
  CHECK(page.messages[0].text == "before");
}

TEST_CASE("redis durability: acknowledged messages survive a crash of redis-server (AOF)", "[redis]") {
  RedisServer server;
  {
    RedisNode node(server.url(), "node-a", "durable:");
    await_value<protocol::Room>([&](auto done) { node.store().create_room(make_room("housing"), done); });
    for (int i = 1; i <= 20; ++i) {
      CHECK(await_value<backend::AppendResult>([&](auto done) {
              node.store().append(make_append("housing", kAlice, "m" + std::to_string(i)), done);
            }).message.seq == i);
    }
  }
  // appendfsync everysec (the default): what was acknowledged more than a second ago is on disk.
  std::this_thread::sleep_for(1500ms);
  server.kill();
  server.start();
  RedisNode node(server.url(), "node-b", "durable:");
  auto page = await_value<backend::Page>([&](auto done) { node.store().after("housing", 0, 100, done); });
  CHECK(page.head == 20);
  REQUIRE(page.messages.size() == 20);
  CHECK(page.messages.back().text == "m20");
  CHECK(await_value<backend::AppendResult>(
            [&](auto done) { node.store().append(make_append("housing", kBob, "next"), done); })
            .message.seq == 21);
}

}  // namespace redis_nodes_test
}  // namespace outloud::testing
