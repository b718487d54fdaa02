// RoomCensus: a room's members on the node, summed over the strands that hold some.
#include <catch2/catch.hpp>

#include <optional>

#include "server/core/room_census.hpp"

using outloud::core::RoomCensus;

TEST_CASE("room census: each strand's share adds to the room's count, and leaves it when dropped",
          "[census]") {
  RoomCensus census;
  auto first = census.share("plenary");
  std::optional<RoomCensus::Share> second = census.share("plenary");
  auto other = census.share("housing");
  first.follow(3);
  second->follow(2);
  other.follow(7);
  CHECK(first.node_members() == 5);
  CHECK(second->node_members() == 5);
  CHECK(other.node_members() == 7);

  first.follow(1);  // two left on the first strand
  CHECK(second->node_members() == 3);
  second.reset();  // the second strand dropped the room: its members no longer count
  CHECK(first.node_members() == 1);

  // A room every strand dropped starts again from nothing.
  RoomCensus::Share lone;
  CHECK(lone.node_members() == 0);
  lone.follow(4);
  CHECK(lone.node_members() == 4);  // without a census: the strand's own
}

TEST_CASE("room census: rooms nobody holds any more are forgotten", "[census]") {
  RoomCensus census;
  for (int i = 0; i < 1000; ++i) {
    auto share = census.share("room-" + std::to_string(i));
    share.follow(1);
  }
  auto again = census.share("room-1");
  CHECK(again.node_members() == 0);
}

TEST_CASE("room census: the node's gauge counts the rooms some strand holds", "[census]") {
  std::atomic<std::int64_t> rooms_open{0};
  RoomCensus census(&rooms_open);
  std::optional<RoomCensus::Share> first = census.share("plenary");
  std::optional<RoomCensus::Share> second = census.share("plenary");
  auto other = census.share("housing");
  CHECK(rooms_open.load() == 2);  // a room on two strands is one room
  first.reset();
  CHECK(rooms_open.load() == 2);
  second.reset();
  CHECK(rooms_open.load() == 1);
  auto again = census.share("plenary");
  CHECK(rooms_open.load() == 2);
}
