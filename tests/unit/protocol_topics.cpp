// Topics, read markers and the room list's extensions: parsing and serialization ([protocol]).
#include <catch2/catch.hpp>

#include "outloud/protocol/server_frames.hpp"
#include "parse_expectations.hpp"

namespace outloud::testing {
namespace protocol_topics_test {

using namespace protocol;

TEST_CASE("protocol: topics, read and history's topic are parsed with their rules", "[protocol]") {
  auto topics = accepted_as<ListTopics>(R"({"type":"topics","room":"forum"})");
  CHECK(topics.room == "forum");
  CHECK(topics.limit == 100);
  CHECK_FALSE(topics.before);
  topics = accepted_as<ListTopics>(R"({"type":"topics","room":"forum","limit":200,"before":7})");
  CHECK(topics.limit == 200);
  CHECK(topics.before == 7);
  refused_naming(R"({"type":"topics","id":"f","room":"forum","limit":201})", "limit");
  refused_naming(R"({"type":"topics","id":"f","room":"forum","before":0})", "before");
  refused_naming(R"({"type":"topics","id":"f"})", "room");

  auto read = accepted_as<MarkRead>(R"({"type":"read","room":"forum","seq":0})");
  CHECK(read.seq == 0);
  CHECK_FALSE(read.topic);
  read = accepted_as<MarkRead>(R"({"type":"read","room":"forum","seq":12,"topic":"budget"})");
  CHECK(read.topic == std::optional<std::string>("budget"));
  refused_naming(R"({"type":"read","id":"f","room":"forum"})", "seq");
  refused_naming(R"({"type":"read","id":"f","room":"forum","seq":-1})", "seq");
  refused_naming(R"({"type":"read","id":"f","room":"forum","seq":1,"topic":""})", "topic");

  auto history = accepted_as<History>(R"({"type":"history","room":"forum","topic":"budget","before":9})");
  CHECK(history.topic == std::optional<std::string>("budget"));
  CHECK_FALSE(accepted_as<History>(R"({"type":"history","room":"forum","topic":null})").topic);
  refused_naming(R"({"type":"history","id":"f","room":"forum","topic":")" + std::string(61, 'x') + R"("})", "topic");

  CHECK(accepted_as<ListRooms>(R"({"type":"rooms","archived":true})").archived);
  CHECK_FALSE(accepted_as<ListRooms>(R"({"type":"rooms"})").archived);
  refused_naming(R"({"type":"rooms","id":"f","archived":"yes"})", "archived");
}

TEST_CASE("protocol: topics, read, mention and room_list frames are serialized as documented", "[protocol]") {
  CHECK(topics_frame(RequestId{std::int64_t{3}}, "forum", {{"budget", 3, 4, 1700000000000, 2}}, 4) ==
        R"({"type":"topics","re":3,"room":"forum","topics":[{"topic":"budget","count":3,"last_seq":4,"last_ts":1700000000000,"unread":2}],"next":4})");
  CHECK(topics_frame(std::nullopt, "forum", {}, std::nullopt) == R"({"type":"topics","room":"forum","topics":[]})");
  CHECK(read_event("forum", "", 5) == R"({"type":"read","room":"forum","topic":null,"seq":5})");
  CHECK(read_event("forum", "budget", 5) == R"({"type":"read","room":"forum","topic":"budget","seq":5})");

  Message m;
  m.room = "forum";
  m.seq = 9;
  m.ts = 1700000000000;
  m.from = {"u1", "Sam Sender", "essex-cc"};
  m.topic = "budget";
  m.text = std::string(250, 'a');
  const auto mention = mention_event(m);
  CHECK_THAT(mention, Catch::Matchers::StartsWith(
                          R"({"type":"mention","room":"forum","seq":9,"ts":1700000000000,"from":{"id":"u1","name":"Sam Sender","org":"essex-cc"},"topic":"budget","text":")" +
                          std::string(200, 'a') + "\xE2\x80\xA6\"}"));

  Room room{"s~1", "Group 1", RoomKind::breakout, "u1", 5, std::string("s")};
  CHECK_THAT(room_list_event("upsert", room), Catch::Matchers::StartsWith(
                                                   R"({"type":"room_list","event":"upsert","room":{"id":"s~1","title":"Group 1","kind":"breakout","created_by":"u1","created_at":5,"parent":"s")"));
  CHECK_THAT(room_list_event("upsert", room), !Catch::Matchers::Contains("archived"));
  CHECK(room_list_refresh_event() == R"({"type":"room_list","event":"refresh"})");
  room.archived = true;
  CHECK_THAT(room_list_event("upsert", room), Catch::Matchers::EndsWith(R"("retention_days":null,"archived":true}})"));
  CHECK_THAT(rooms_frame(std::nullopt, {{room, 2, 9, 4, 3}}), Catch::Matchers::Contains(R"("online":2,"last_seq":9,"read":4,"mentions":3})"));
}

}  // namespace protocol_topics_test
}  // namespace outloud::testing
