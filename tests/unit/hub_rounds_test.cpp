// Messages of busy large rooms in rounds (limits.hpp, message_round_interval): while a room gets
// less than a message an interval each goes at once; then those that come sooner than the
// interval after the last round wait for the next and reach each member in one call; nothing else
// for the room overtakes a waiting message; a drain sends what waits.
#include "hub_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace hub_rounds_test {

namespace {

std::string type_of(const rapidjson::Document& doc) { return doc["type"].GetString(); }

void send_text(HubFixture& hub, FakeConnection& from, int id, const std::string& text) {
  hub.send(from, R"({"type":"send","id":)" + std::to_string(id) + R"(,"room":"plenary","text":")" + text + R"("})");
  REQUIRE(type_of(from.next(reply_to(id))) == "sent");
}

// The texts of the message events `connection` has received so far, in order.
std::vector<std::string> texts(FakeConnection& connection) {
  std::vector<std::string> out;
  for (const auto& frame : connection.all()) {
    rapidjson::Document doc;
    doc.Parse(frame.c_str());
    if (type_of(doc) == "message") out.emplace_back(doc["text"].GetString());
  }
  return out;
}

// The `ts` of the message event with this text that `connection` has received.
std::int64_t ts_of(FakeConnection& connection, const std::string& text) {
  for (const auto& frame : connection.all()) {
    rapidjson::Document doc;
    doc.Parse(frame.c_str());
    if (type_of(doc) == "message" && doc["text"].GetString() == text) return doc["ts"].GetInt64();
  }
  FAIL("no message " << text);
  return 0;
}

// Paul makes the room "plenary"; he and Sam join it.
std::pair<std::shared_ptr<FakeConnection>, std::shared_ptr<FakeConnection>> plenary_of_two(HubFixture& hub) {
  auto paul = hub.connect("Paul Ashworth", "essex-cc");
  auto sam = hub.connect("Sam Okafor", "nhs-mse");
  hub.send(*paul, R"({"type":"create","id":2,"room":"plenary"})");
  REQUIRE(type_of(paul->next(reply_to(2))) == "created");
  for (auto* who : {paul.get(), sam.get()}) {
    hub.send(*who, R"({"type":"join","id":3,"room":"plenary"})");
    REQUIRE(type_of(who->next(reply_to(3))) == "joined");
  }
  return {paul, sam};
}

// Rounds from 2 members, with an interval no test run reaches: once the room is busy (after a
// few messages), the others wait until something sends the round.
core::HubOptions long_rounds() {
  core::HubOptions options;
  options.message_round_interval = std::chrono::hours(1);
  options.message_rounds_from = 2;
  return options;
}

}  // namespace

TEST_CASE("hub: a large room's messages wait for the round and reach each member in one call",
          "[hub][rounds]") {
  HubFixture hub(long_rounds());
  auto [paul, sam] = plenary_of_two(hub);

  // Until the room gets a message an interval (the mean of the last few gaps), each goes at once:
  // the first does; from the second the room is busy.
  send_text(hub, *paul, 11, "m1");
  CHECK(std::string(sam->next(message_event())["text"].GetString()) == "m1");
  send_text(hub, *paul, 12, "m2");
  send_text(hub, *paul, 13, "m3");
  send_text(hub, *paul, 14, "m4");
  send_text(hub, *paul, 15, "m5");
  send_text(hub, *paul, 16, "m6");
  // Every one is stored and acknowledged, none delivered: they wait for the round.
  CHECK(texts(*sam) == std::vector<std::string>{"m1"});

  // A typing event for the room sends the round first: it cannot overtake the messages.
  hub.send(*paul, R"({"type":"typing","room":"plenary"})");
  auto typing = sam->next_type("typing");
  CHECK(texts(*sam) == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5", "m6"});
  CHECK(sam->batches() == std::vector<std::size_t>{1, 5});  // m1 alone, then the round in one call
  CHECK(paul->batches() == std::vector<std::size_t>{1, 5});  // the sender gets its own messages too
  // Each call says when its oldest message was sent, for the delivery-latency histogram.
  const auto origins = sam->origins();
  REQUIRE(origins.size() == 2);
  CHECK(origins[0].sent_ms == ts_of(*sam, "m1"));
  CHECK(origins[0].messages_per_frame == 1);
  CHECK(origins[1].sent_ms == ts_of(*sam, "m2"));
  CHECK(origins[1].messages_per_frame == 1);

  // What waits when the server drains goes out before the connections may close.
  send_text(hub, *paul, 17, "fifth");
  std::promise<void> drained;
  hub.hub().drain([&] { drained.set_value(); });
  REQUIRE(drained.get_future().wait_for(20s) == std::future_status::ready);
  sam->next(message_event());
  CHECK(texts(*sam).back() == "fifth");
}

TEST_CASE("hub: a room below the rounds' size gets every message at once", "[hub][rounds]") {
  auto options = long_rounds();
  options.message_rounds_from = 3;
  HubFixture hub(options);
  auto [paul, sam] = plenary_of_two(hub);
  for (int i = 0; i < 5; ++i) send_text(hub, *paul, 10 + i, "m" + std::to_string(i));
  for (int i = 0; i < 5; ++i) CHECK(std::string(sam->next(message_event())["text"].GetString()) == "m" + std::to_string(i));
  CHECK(sam->batches() == std::vector<std::size_t>(5, 1));  // each alone
}

TEST_CASE("hub: rounds keep exactly-once order when messages come faster than the interval", "[hub][rounds]") {
  core::HubOptions options;
  options.message_round_interval = 5ms;
  options.message_rounds_from = 2;
  options.max_requests_in_flight = 1000;  // the sends are pipelined
  HubFixture hub(options, 4);
  auto [paul, sam] = plenary_of_two(hub);
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    hub.send(*paul, R"({"type":"send","id":)" + std::to_string(100 + i) + R"(,"room":"plenary","text":"m)" +
                        std::to_string(i) + R"("})");
  }
  std::int64_t last_seq = 0;
  for (int i = 0; i < kMessages; ++i) {
    auto message = sam->next(message_event());
    // Compared without building "m<i>" by operator+, which GCC 12 warns about wrongly (-Wrestrict).
    const std::string text = message["text"].GetString();
    CHECK((text.size() > 1 && text[0] == 'm' && text.substr(1) == std::to_string(i)));
    CHECK(message["seq"].GetInt64() == last_seq + 1);
    last_seq = message["seq"].GetInt64();
  }
  // Some went in rounds of more than one (the sends come faster than 5 ms apart).
  std::size_t largest = 0;
  for (auto size : sam->batches()) largest = std::max(largest, size);
  CHECK(largest > 1);
}

TEST_CASE("hub: a member that joined with message_batches gets a round as one message_batch, in order",
          "[hub][rounds]") {
  HubFixture hub(long_rounds());
  auto [paul, sam] = plenary_of_two(hub);
  auto ada = hub.connect("Ada Brennan", "essex-fire");
  hub.send(*ada, R"({"type":"join","id":3,"room":"plenary","message_batches":true})");
  REQUIRE(type_of(ada->next(reply_to(3))) == "joined");

  // The first goes at once, alone: a plain `message` for everyone.
  send_text(hub, *paul, 11, "m1");
  CHECK(std::string(ada->next(message_event())["text"].GetString()) == "m1");
  for (int i = 2; i <= 5; ++i) send_text(hub, *paul, 10 + i, "m" + std::to_string(i));
  hub.send(*paul, R"({"type":"typing","room":"plenary"})");  // sends the round

  auto batch = ada->next_type("message_batch");
  CHECK(std::string(batch["room"].GetString()) == "plenary");
  const auto& messages = batch["messages"];
  REQUIRE(messages.Size() == 4);
  for (rapidjson::SizeType i = 0; i < messages.Size(); ++i) {
    CHECK(std::string(messages[i]["type"].GetString()) == "message");
    CHECK(std::string(messages[i]["text"].GetString()) == "m" + std::to_string(i + 2));
    CHECK(messages[i]["seq"].GetInt64() == static_cast<std::int64_t>(i) + 2);
  }
  CHECK(ada->batches() == std::vector<std::size_t>{1, 1});  // m1, then one frame for the round
  CHECK(ada->origins().back().messages_per_frame == 4);   // that frame carries four messages
  CHECK(ada->origins().back().sent_ms == messages[0]["ts"].GetInt64());
  ada->next_type("typing");  // after the batch, as for everyone
  // Sam, who did not ask, gets the spec's `message` events.
  sam->next_type("typing");
  CHECK(texts(*sam) == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"});
}

}  // namespace hub_rounds_test
