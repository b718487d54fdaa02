// A connection that asks an endpoint source (as with Sentinel) for the master: it refuses a server
// whose ROLE is not master, and when its master becomes a replica (READONLY) the command fails with
// `unavailable` — never as a Redis error — and it reconnects to the master the source names now.
// Real redis-servers; the source stands in for the sentinels (tested end to end in
// tests/integration/cluster_sentinel.test.mjs).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>

#include "await.hpp"
#include "redis_server.hpp"
#include "server/redis/connection.hpp"

namespace outloud::testing {
namespace redis_master_switch_test {

using namespace std::chrono_literals;

template <class Check>
bool eventually(Check check, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return check();
}

TEST_CASE("redis master switch: ROLE must say master; READONLY is unavailable and finds the new master",
          "[redis]") {
  RedisServer first;
  RedisServer second;
  REQUIRE(second.command({"REPLICAOF", "127.0.0.1", std::to_string(first.port())}) == "OK");

  std::mutex mutex;
  int named_port = second.port();  // the "sentinels" name the replica first: it must be refused
  std::atomic<int> asked{0};

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });

  redis::Endpoint endpoint;
  endpoint.host.clear();
  redis::ConnectionOptions options;
  options.backoff_initial = 20ms;
  options.backoff_max = 100ms;
  auto connection = redis::Connection::create(boost::asio::make_strand(io), endpoint, options, "switch-test",
                                              redis::Connection::Role::command);
  connection->set_endpoint_source([&](std::function<void(std::optional<redis::Endpoint>)> done) {
    ++asked;
    redis::Endpoint master;
    master.host = "127.0.0.1";
    {
      std::lock_guard lock(mutex);
      master.port = named_port;
    }
    done(master);
  });
  connection->start();

  CHECK(eventually([&] { return asked.load() >= 3; }));
  CHECK_FALSE(connection->up());  // a replica never counts as the master

  {
    std::lock_guard lock(mutex);
    named_port = first.port();
  }
  REQUIRE(eventually([&] { return connection->up(); }));
  Pending<redis::Reply> set_first;
  connection->command({"SET", "k", "on-first"}, set_first.callback());
  auto first_reply = set_first.get();
  REQUIRE(first_reply.ok());
  CHECK(first_reply.value().str == "OK");

  // A failover without the connection noticing: the replica takes over, the master follows it.
  REQUIRE(second.command({"REPLICAOF", "NO", "ONE"}) == "OK");
  REQUIRE(first.command({"REPLICAOF", "127.0.0.1", std::to_string(second.port())}) == "OK");
  {
    std::lock_guard lock(mutex);
    named_port = second.port();
  }
  Pending<redis::Reply> set_stale;
  connection->command({"SET", "k", "on-the-old-master"}, set_stale.callback());
  auto stale = set_stale.get();
  REQUIRE_FALSE(stale.ok());  // READONLY (or the connection dropped): unavailable, not a Redis error
  CHECK(stale.error().code == protocol::ErrorCode::unavailable);

  REQUIRE(eventually([&] {
    if (!connection->up()) return false;
    Pending<redis::Reply> set_new;
    connection->command({"SET", "k", "on-second"}, set_new.callback());
    auto reply = set_new.get();
    return reply.ok() && reply.value().str == "OK";
  }));
  CHECK(second.command({"GET", "k"}) == "on-second");

  connection->stop();
  guard.reset();
  io.stop();
  runner.join();
  connection->stop_now();
  first.command({"REPLICAOF", "NO", "ONE"});  // a master with no replica shuts down at once
}

}  // namespace redis_master_switch_test
}  // namespace outloud::testing
