#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "server/core/room_sequencer.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace room_sequencer_test {

using outloud::core::Frame;
using outloud::core::RoomSequencer;

namespace {

Frame frame_for(std::int64_t seq) { return std::make_shared<const std::string>("m" + std::to_string(seq)); }

std::vector<std::int64_t> seqs(const RoomSequencer::Actions& actions) {
  std::vector<std::int64_t> out;
  for (const auto& [seq, frame] : actions.emit) {
    REQUIRE(*frame == "m" + std::to_string(seq));
    out.push_back(seq);
  }
  return out;
}

std::vector<std::pair<std::int64_t, Frame>> stored(std::int64_t after, int limit, std::int64_t head) {
  std::vector<std::pair<std::int64_t, Frame>> out;
  for (auto seq = after + 1; seq <= head && static_cast<int>(out.size()) < limit; ++seq) out.emplace_back(seq, frame_for(seq));
  return out;
}

}  // namespace

TEST_CASE("sequencer holds messages until primed, then drops history", "[sequencer]") {
  RoomSequencer sequencer;
  CHECK(seqs(sequencer.on_message(5, frame_for(5))).empty());
  CHECK(seqs(sequencer.on_message(6, frame_for(6))).empty());
  auto actions = sequencer.prime(5);
  CHECK(seqs(actions) == std::vector<std::int64_t>{6});
  CHECK_FALSE(actions.fetch);
  CHECK(sequencer.cursor() == 6);
}

TEST_CASE("sequencer emits in order and drops duplicates", "[sequencer]") {
  RoomSequencer sequencer;
  sequencer.prime(0);
  CHECK(seqs(sequencer.on_message(1, frame_for(1))) == std::vector<std::int64_t>{1});
  CHECK(seqs(sequencer.on_message(1, frame_for(1))).empty());
  CHECK(seqs(sequencer.on_message(2, frame_for(2))) == std::vector<std::int64_t>{2});
}

TEST_CASE("sequencer fills a gap from the store before delivering later messages", "[sequencer]") {
  RoomSequencer sequencer;
  sequencer.prime(3);
  auto actions = sequencer.on_message(7, frame_for(7));
  CHECK(seqs(actions).empty());
  REQUIRE(actions.fetch);
  CHECK(actions.fetch->after == 3);
  CHECK(actions.fetch->limit == 3);
  // 8 arrives while the fetch is in flight: held, no second fetch.
  auto meanwhile = sequencer.on_message(8, frame_for(8));
  CHECK(seqs(meanwhile).empty());
  CHECK_FALSE(meanwhile.fetch);
  auto filled = sequencer.on_fetched(stored(3, 3, 8), 3);
  CHECK(seqs(filled) == std::vector<std::int64_t>{4, 5, 6, 7, 8});
  CHECK_FALSE(filled.fetch);
}

TEST_CASE("sequencer resync after a reconnect reads on to the head in batches", "[sequencer]") {
  RoomSequencer sequencer;
  sequencer.prime(10);
  const std::int64_t head = 10 + RoomSequencer::kFetchBatch + 20;
  auto actions = sequencer.resync();
  REQUIRE(actions.fetch);
  std::vector<std::int64_t> emitted;
  int rounds = 0;
  while (actions.fetch && rounds++ < 10) {
    auto fetch = *actions.fetch;
    actions = sequencer.on_fetched(stored(fetch.after, fetch.limit, head), fetch.limit);
    auto got = seqs(actions);
    emitted.insert(emitted.end(), got.begin(), got.end());
  }
  REQUIRE(emitted.size() == static_cast<std::size_t>(head - 10));
  CHECK(emitted.front() == 11);
  CHECK(emitted.back() == head);
  // Late arrivals of what was already read are dropped.
  CHECK(seqs(sequencer.on_message(head, frame_for(head))).empty());
  CHECK(seqs(sequencer.on_message(head + 1, frame_for(head + 1))) == std::vector<std::int64_t>{head + 1});
}

TEST_CASE("sequencer skips seqs the store does not have instead of stalling", "[sequencer]") {
  RoomSequencer sequencer;
  sequencer.prime(0);
  auto actions = sequencer.on_message(3, frame_for(3));
  REQUIRE(actions.fetch);
  auto after = sequencer.on_fetched({}, actions.fetch->limit);
  CHECK(seqs(after) == std::vector<std::int64_t>{3});
}

TEST_CASE("sequencer delivers every message once in order under random loss, repeats and reordering", "[sequencer]") {
  std::mt19937 random(42);
  for (int round = 0; round < 200; ++round) {
    RoomSequencer sequencer;
    const std::int64_t head = 1 + random() % 300;
    std::vector<std::int64_t> arrivals;
    for (std::int64_t seq = 1; seq <= head; ++seq) {
      if (random() % 5 != 0) arrivals.push_back(seq);        // some are lost
      if (random() % 10 == 0) arrivals.push_back(seq);       // some come twice
    }
    // Local reordering within a small window.
    for (std::size_t i = 0; i + 1 < arrivals.size(); ++i) {
      if (random() % 7 == 0) std::swap(arrivals[i], arrivals[i + 1]);
    }
    std::vector<std::int64_t> emitted;
    auto run = [&](RoomSequencer::Actions actions) {
      while (true) {
        auto got = seqs(actions);
        emitted.insert(emitted.end(), got.begin(), got.end());
        if (!actions.fetch) break;
        auto fetch = *actions.fetch;
        actions = sequencer.on_fetched(stored(fetch.after, fetch.limit, head), fetch.limit);
      }
    };
    run(sequencer.prime(0));
    for (auto seq : arrivals) run(sequencer.on_message(seq, frame_for(seq)));
    run(sequencer.resync());  // the bus tells us it reconnected: read on to the head
    REQUIRE(emitted.size() == static_cast<std::size_t>(head));
    for (std::int64_t i = 0; i < head; ++i) REQUIRE(emitted[static_cast<std::size_t>(i)] == i + 1);
  }
}

TEST_CASE("sequencer: after a failed fetch, retry asks for the gap again", "[sequencer]") {
  RoomSequencer sequencer;
  sequencer.prime(3);
  auto actions = sequencer.on_message(7, frame_for(7));
  REQUIRE(actions.fetch);
  sequencer.on_fetch_failed();
  auto again = sequencer.retry();
  REQUIRE(again.fetch);
  CHECK(again.fetch->after == 3);
  CHECK(again.fetch->limit == 3);
  CHECK(seqs(sequencer.on_fetched(stored(3, 3, 7), 3)) == std::vector<std::int64_t>{4, 5, 6, 7});
}

TEST_CASE("sequencer: messages held ahead of a gap are bounded; past the bound they come from the store",
          "[sequencer]") {
  RoomSequencer sequencer(5);
  sequencer.prime(0);
  auto first = sequencer.on_message(2, frame_for(2));
  REQUIRE(first.fetch);  // seq 1 is missing
  for (std::int64_t seq = 3; seq <= 40; ++seq) {
    sequencer.on_message(seq, frame_for(seq));
    CHECK(sequencer.pending() <= 5);
  }
  // The gap fetch answers; what was dropped is then read on from the store, up to its head.
  auto filled = sequencer.on_fetched(stored(0, 1, 40), 1);
  std::vector<std::int64_t> emitted = seqs(filled);
  auto fetch = filled.fetch;
  while (fetch) {
    auto next = sequencer.on_fetched(stored(fetch->after, fetch->limit, 40), fetch->limit);
    for (auto seq : seqs(next)) emitted.push_back(seq);
    fetch = next.fetch;
  }
  std::vector<std::int64_t> expected;
  for (std::int64_t seq = 1; seq <= 40; ++seq) expected.push_back(seq);
  CHECK(emitted == expected);
  CHECK(sequencer.cursor() == 40);
}

}  // namespace room_sequencer_test
