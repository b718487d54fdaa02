// The room index alone: no hub, no sockets. Who gets what, in which order, while joining and after.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "server/core/room_members.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace room_members_test {

using outloud::backend::BusEvent;
using outloud::core::Frame;
using outloud::core::RoomMembers;

namespace {

Frame text(std::string value) { return std::make_shared<const std::string>(std::move(value)); }

// Records every send as "conn:payload".
struct Outbox {
  std::vector<std::string> sent;
  auto sender() {
    return [this](std::uint64_t conn, const Frame& frame) { sent.push_back(std::to_string(conn) + ":" + *frame); };
  }
};

// A batch as "[a+b+c]", counted.
struct Batcher {
  int made = 0;
  auto maker() {
    return [this](const Frame* frames, std::size_t count) {
      ++made;
      std::string joined = "[";
      for (std::size_t i = 0; i < count; ++i) joined += (i ? "+" : "") + *frames[i];
      return text(joined + "]");
    };
  }
};

BusEvent event(std::string payload, std::string exclude = {}, std::vector<std::string> only = {}) {
  BusEvent e;
  e.kind = BusEvent::Kind::event;
  e.exclude_user = std::move(exclude);
  e.only_users = std::move(only);
  e.payload = text(std::move(payload));
  return e;
}

}  // namespace

TEST_CASE("room index: a joining member gets nothing live, then what was kept, less what `joined` had",
          "[room_members][hub]") {
  RoomMembers room;
  Outbox out;
  room.add_joining(1, "alice", {});
  CHECK(room.contains(1));
  CHECK_FALSE(room.is_active(1));

  CHECK(room.deliver_message(5, text("m5"), out.sender()) == 0);
  room.deliver_event(event("typing"), false, out.sender());
  CHECK(room.deliver_message(6, text("m6"), out.sender()) == 0);
  CHECK(out.sent.empty());

  // `joined` carried messages up to 5: 6 follows, with the event in its place.
  CHECK(room.activate(1, 5, out.sender()) == 1);
  CHECK(out.sent == std::vector<std::string>{"1:typing", "1:m6"});
  CHECK(room.is_active(1));
  CHECK(room.activate(1, 5, out.sender()) == 0);  // once only

  out.sent.clear();
  CHECK(room.deliver_message(7, text("m7"), out.sender()) == 1);
  CHECK(out.sent == std::vector<std::string>{"1:m7"});
}

TEST_CASE("room index: messages up to the snapshot are never sent twice", "[room_members][hub]") {
  RoomMembers room;
  Outbox out;
  room.add_joining(1, "alice", {});
  room.deliver_message(3, text("m3"), out.sender());
  room.activate(1, 4, out.sender());
  CHECK(out.sent.empty());
  // A message the sequencer emits late but that `joined` already had is skipped.
  CHECK(room.deliver_message(4, text("m4"), out.sender()) == 0);
  CHECK(room.deliver_message(5, text("m5"), out.sender()) == 1);
  CHECK(out.sent == std::vector<std::string>{"1:m5"});
}

TEST_CASE("room index: a round of messages reaches each active member in one call, joining ones keep it",
          "[room_members][hub][rounds]") {
  RoomMembers room;
  Outbox out;
  std::vector<std::string> calls;  // "user:frame,frame" per send_many
  const auto send_many = [&](const RoomMembers::Member& member, const Frame* frames, std::size_t count,
                             std::size_t messages) {
    std::string call = member.user_id + ":";
    for (std::size_t i = 0; i < count; ++i) call += (i ? "," : "") + *frames[i];
    call += " #" + std::to_string(messages);  // how many messages the call says it carries
    calls.push_back(call);
  };
  room.add_joining(1, "alice", {});
  room.activate(1, 0, out.sender());
  room.add_joining(2, "bob", {});
  room.activate(2, 8, out.sender());  // bob's `joined` had messages up to 8
  room.add_joining(3, "carol", {});  // still joining

  const std::vector<std::pair<std::int64_t, Frame>> round{{7, text("m7")}, {8, text("m8")}, {9, text("m9")}};
  Batcher batcher;
  CHECK(room.deliver_messages(round, send_many, batcher.maker()) == 4);
  CHECK(calls == std::vector<std::string>{"alice:m7,m8,m9 #3", "bob:m9 #1"});

  // Carol kept the round and gets what her `joined` did not have, in order.
  CHECK(room.activate(3, 7, out.sender()) == 2);
  CHECK(out.sent == std::vector<std::string>{"3:m8", "3:m9"});
  // A round wholly inside a member's snapshot costs it nothing.
  calls.clear();
  room.add_joining(4, "dan", {});
  room.activate(4, 20, out.sender());
  CHECK(room.deliver_messages({{10, text("m10")}}, send_many, batcher.maker()) == 3);
  CHECK(calls == std::vector<std::string>{"alice:m10 #1", "bob:m10 #1", "carol:m10 #1"});
  CHECK(batcher.made == 0);  // nobody asked for batches
}

TEST_CASE("room index: members with batched messages get a round of several as one frame, made once",
          "[room_members][hub][rounds]") {
  RoomMembers room;
  Outbox out;
  std::vector<std::string> calls;
  const auto send_many = [&](const RoomMembers::Member& member, const Frame* frames, std::size_t count,
                             std::size_t messages) {
    std::string call = member.user_id + ":";
    for (std::size_t i = 0; i < count; ++i) call += (i ? "," : "") + *frames[i];
    call += " #" + std::to_string(messages);  // how many messages the call says it carries
    calls.push_back(call);
  };
  Batcher batcher;
  room.add_joining(1, "alice", {.messages = true});
  room.activate(1, 0, out.sender());
  room.add_joining(2, "bob", {});  // the spec's client: one `message` each
  room.activate(2, 0, out.sender());
  room.add_joining(3, "carol", {.messages = true});
  room.activate(3, 7, out.sender());  // her `joined` had 7: she gets 8 and 9, a batch of her own
  room.add_joining(4, "dan", {.messages = true});
  room.activate(4, 8, out.sender());  // only 9 is new to him: a batch of one is a plain message
  room.add_joining(5, "erin", {.messages = true});
  room.activate(5, 0, out.sender());

  const std::vector<std::pair<std::int64_t, Frame>> round{{7, text("m7")}, {8, text("m8")}, {9, text("m9")}};
  CHECK(room.deliver_messages(round, send_many, batcher.maker()) == 3 + 3 + 2 + 1 + 3);
  CHECK(calls == std::vector<std::string>{"alice:[m7+m8+m9] #3", "bob:m7,m8,m9 #3", "carol:[m8+m9] #2", "dan:m9 #1",
                                          "erin:[m7+m8+m9] #3"});
  CHECK(batcher.made == 2);  // the whole round once (alice and erin share it), carol's part once

  // A single message goes as it is, to everyone.
  calls.clear();
  CHECK(room.deliver_messages({{10, text("m10")}}, send_many, batcher.maker()) == 5);
  CHECK(calls == std::vector<std::string>{"alice:m10 #1", "bob:m10 #1", "carol:m10 #1", "dan:m10 #1", "erin:m10 #1"});
  CHECK(batcher.made == 2);
}

TEST_CASE("room index: events honour exclude_user and only_users", "[room_members][hub]") {
  RoomMembers room;
  Outbox out;
  for (std::uint64_t id : {1, 2, 3}) {
    room.add_joining(id, id == 1 ? "alice" : id == 2 ? "bob" : "carol", {});
    room.activate(id, 0, out.sender());
  }
  room.deliver_event(event("e1", "alice"), false, out.sender());
  room.deliver_event(event("e2", {}, {"carol"}), false, out.sender());
  CHECK(out.sent == std::vector<std::string>{"2:e1", "3:e1", "3:e2"});
}

TEST_CASE("room index: re-joining starts over, removing forgets", "[room_members][hub]") {
  RoomMembers room;
  Outbox out;
  room.add_joining(1, "alice", {.presence = true});
  room.activate(1, 0, out.sender());
  CHECK(room.has_batched_members());
  room.add_joining(1, "alice", {});  // again, without batching
  CHECK_FALSE(room.is_active(1));
  CHECK_FALSE(room.has_batched_members());
  CHECK(room.size() == 1);
  CHECK(room.remove(1));
  CHECK_FALSE(room.remove(1));
  CHECK(room.empty());
}

TEST_CASE("room index: batched presence skips the per-change event and arrives as one batch",
          "[room_members][hub]") {
  RoomMembers room;
  Outbox out;
  room.add_joining(1, "alice", {});  // the spec's client: one event per change
  room.add_joining(2, "bob", {.presence = true});     // batched
  room.activate(1, 0, out.sender());
  room.activate(2, 0, out.sender());
  room.add_joining(3, "carol", {.presence = true});   // still joining

  BusEvent change = event("p1", "dave");
  change.kind = BusEvent::Kind::presence;
  room.deliver_event(change, true, out.sender());
  CHECK(out.sent == std::vector<std::string>{"1:p1"});
  CHECK(room.queue_presence_change(change.payload));
  CHECK_FALSE(room.queue_presence_change(text("p2")));  // already armed
  CHECK(room.presence_queued());
  const auto changes = room.take_presence_changes();
  REQUIRE(changes.size() == 2);
  CHECK(*changes[0] == "p1");
  CHECK_FALSE(room.presence_queued());

  out.sent.clear();
  room.deliver_presence_batch(text("batch"), out.sender());
  CHECK(out.sent == std::vector<std::string>{"2:batch"});
  // The joining member gets it right after its `joined`.
  out.sent.clear();
  room.activate(3, 0, out.sender());
  CHECK(out.sent == std::vector<std::string>{"3:batch"});
}

}  // namespace room_members_test
