// NodeWide (server/core/node_wide.hpp): the limits the hub's strands share.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "server/core/node_wide.hpp"

using outloud::core::CreateAllowances;
using outloud::core::SharedSlots;

TEST_CASE("shared slots: at most max at once; a freed slot passes to the first in line", "[node_wide]") {
  SharedSlots slots(2);
  std::vector<std::string> started;
  CHECK(slots.take_or_wait([&] { started.push_back("a"); }));
  CHECK(slots.take_or_wait([&] { started.push_back("b"); }));
  CHECK_FALSE(slots.take_or_wait([&] { started.push_back("c"); }));
  CHECK_FALSE(slots.take_or_wait([&] { started.push_back("d"); }));
  CHECK(slots.running() == 2);
  CHECK(started.empty());

  slots.release();  // c gets the slot: still two at work
  CHECK(started == std::vector<std::string>{"c"});
  CHECK(slots.running() == 2);
  slots.release();
  CHECK(started == std::vector<std::string>{"c", "d"});
  slots.release();
  slots.release();
  CHECK(slots.running() == 0);
  CHECK(slots.take_or_wait([] {}));
}

TEST_CASE("shared slots: taken and freed from many threads, never more than max at once", "[node_wide]") {
  constexpr int kMax = 3, kThreads = 8, kEach = 500;
  SharedSlots slots(kMax);
  std::atomic<int> at_work{0}, most{0}, done{0};
  auto work = [&] {
    const int now = ++at_work;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    --at_work;
    ++done;
    slots.release();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (slots.take_or_wait(work)) work();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(done.load() == kThreads * kEach);
  CHECK(most.load() <= kMax);
  CHECK(slots.running() == 0);
}

TEST_CASE("create allowances: one bucket per user, whichever strand asks", "[node_wide]") {
  CreateAllowances allowances(3, 100);
  int granted = 0;
  for (int i = 0; i < 5; ++i) granted += allowances.take("u-paul") ? 1 : 0;
  CHECK(granted == 3);
  CHECK(allowances.take("u-sam"));
  CreateAllowances unlimited(0, 100);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.take("u-paul"));
}
