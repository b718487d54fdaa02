// The hub over the real embedded backends, with fake connections: the domain without sockets.
#include "hub_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace hub_test {

TEST_CASE("hub: frames before hello are unauthenticated; ping is allowed", "[hub]") {
  HubFixture hub;
  auto stranger = hub.open_anonymous();
  hub.send(*stranger, R"({"type":"rooms","id":1})");
  CHECK(std::string(stranger->next(reply_to(1))["code"].GetString()) == "unauthenticated");
  hub.send(*stranger, R"({"type":"ping","id":2})");
  CHECK(std::string(stranger->next(reply_to(2))["type"].GetString()) == "pong");
  hub.send(*stranger, R"({"type":"hello","id":3,"name":"Late","org":"resident"})");
  CHECK(std::string(stranger->next(reply_to(3))["type"].GetString()) == "welcome");
  hub.send(*stranger, R"({"type":"hello","id":4,"name":"Late","org":"resident"})");
  CHECK(std::string(stranger->next(reply_to(4))["code"].GetString()) == "conflict");
}

TEST_CASE("hub: create, join, send reach every member exactly once in order", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul Ashworth", "essex-cc");
  auto sam = hub.connect("Sam Okafor", "nhs-mse");
  hub.send(*paul, R"({"type":"create","id":2,"room":"housing","title":"Affordable housing"})");
  auto created = paul->next(reply_to(2));
  REQUIRE(std::string(created["type"].GetString()) == "created");
  hub.send(*paul, R"({"type":"create","id":3,"room":"housing"})");
  CHECK(std::string(paul->next(reply_to(3))["code"].GetString()) == "conflict");

  hub.send(*paul, R"({"type":"join","id":4,"room":"housing"})");
  auto joined = paul->next(reply_to(4));
  REQUIRE(std::string(joined["type"].GetString()) == "joined");
  CHECK(joined["head"].GetInt64() == 0);
  CHECK(std::string(joined["you"]["role"].GetString()) == "owner");

  hub.send(*sam, R"({"type":"join","id":5,"room":"housing"})");
  auto sam_joined = sam->next(reply_to(5));
  CHECK(sam_joined["presence"].Size() == 2);
  auto presence = paul->next_type("presence");
  CHECK(std::string(presence["event"].GetString()) == "join");
  CHECK(std::string(presence["user"]["org"].GetString()) == "nhs-mse");

  for (int i = 0; i < 50; ++i) {
    hub.send(i % 2 ? *sam : *paul,
             R"({"type":"send","id":)" + std::to_string(100 + i) + R"(,"room":"housing","text":"m)" +
                 std::to_string(i) + R"("})");
  }
  for (auto* connection : {paul.get(), sam.get()}) {
    for (int seq = 1; seq <= 50; ++seq) {
      auto message = connection->next(message_event());
      REQUIRE(message["seq"].GetInt64() == seq);
    }
  }
  // The count goes up just after each frame is handed over: wait for the last one (bounded).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (hub.metrics().deliveries.load() < 100 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(hub.metrics().deliveries.load() == 100);
}

TEST_CASE("hub: send needs the room joined; nonce repeats store nothing new", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul", "essex-cc");
  hub.send(*paul, R"({"type":"create","id":2,"room":"r1"})");
  paul->next(reply_to(2));
  hub.send(*paul, R"({"type":"send","id":3,"room":"r1","text":"hi"})");
  CHECK(std::string(paul->next(reply_to(3))["code"].GetString()) == "forbidden");
  hub.send(*paul, R"({"type":"join","id":4,"room":"r1"})");
  paul->next(reply_to(4));
  hub.send(*paul, R"({"type":"send","id":5,"room":"r1","text":"hi","nonce":"n-1"})");
  auto first = paul->next(reply_to(5));
  hub.send(*paul, R"({"type":"send","id":6,"room":"r1","text":"hi again","nonce":"n-1"})");
  auto again = paul->next(reply_to(6));
  CHECK(first["seq"].GetInt64() == again["seq"].GetInt64());
  hub.send(*paul, R"({"type":"history","id":7,"room":"r1"})");
  CHECK(paul->next(reply_to(7))["messages"].Size() == 1);
}

TEST_CASE("hub: join with since while others send gets no gap and no duplicate", "[hub]") {
  core::HubOptions options;
  options.max_requests_in_flight = 1000;  // 400 sends pipelined on one connection
  HubFixture hub(options);
  auto writer = hub.connect("Writer", "essex-cc");
  hub.send(*writer, R"({"type":"create","id":2,"room":"busy"})");
  writer->next(reply_to(2));
  hub.send(*writer, R"({"type":"join","id":3,"room":"busy"})");
  writer->next(reply_to(3));
  for (int i = 0; i < 300; ++i) {
    hub.send(*writer, R"({"type":"send","room":"busy","text":"x)" + std::to_string(i) + R"("})");
  }
  auto reader = hub.connect("Reader", "uni-essex");
  hub.send(*reader, R"({"type":"join","id":9,"room":"busy","since":0})");
  for (int i = 300; i < 400; ++i) {
    hub.send(*writer, R"({"type":"send","room":"busy","text":"x)" + std::to_string(i) + R"("})");
  }
  auto joined = reader->next(reply_to(9));
  for (const auto& frame : writer->all()) {
    if (frame.find("\"error\"") != std::string::npos) FAIL_CHECK(frame);
  }
  std::int64_t expected = 1;
  const auto& messages = joined["messages"];
  if (joined["recovered"].GetBool()) {
    for (auto& message : messages.GetArray()) CHECK(message["seq"].GetInt64() == expected++);
  } else {
    expected = messages.Size() ? messages[messages.Size() - 1]["seq"].GetInt64() + 1 : 1;
  }
  CHECK(joined["head"].GetInt64() == expected - 1);
  while (expected <= 400) {
    auto live = reader->next(message_event());
    REQUIRE(live["seq"].GetInt64() == expected++);
  }
}

TEST_CASE("hub: one user with two connections counts once in presence", "[hub]") {
  HubFixture hub;
  auto watcher = hub.connect("Watcher", "essex-fire");
  hub.send(*watcher, R"({"type":"create","id":2,"room":"p"})");
  watcher->next(reply_to(2));
  hub.send(*watcher, R"({"type":"join","id":3,"room":"p"})");
  watcher->next(reply_to(3));
  auto laptop = hub.connect("Ann", "charity");
  auto phone = hub.connect("Ann", "charity");
  hub.send(*laptop, R"({"type":"join","id":4,"room":"p"})");
  laptop->next(reply_to(4));
  hub.send(*phone, R"({"type":"join","id":5,"room":"p"})");
  auto joined = phone->next(reply_to(5));
  CHECK(joined["presence"].Size() == 2);
  hub.close(*laptop);
  hub.send(*watcher, R"({"type":"ping","id":6})");
  watcher->next(reply_to(6));
  hub.close(*phone);
  auto leave = watcher->next([](const rapidjson::Document& doc) {
    return std::string(doc["type"].GetString()) == "presence" && std::string(doc["event"].GetString()) == "leave";
  });
  CHECK(std::string(leave["user"]["name"].GetString()) == "Ann");
  // Exactly one join and one leave for Ann.
  int joins = 0, leaves = 0;
  for (const auto& frame : watcher->all()) {
    if (frame.find("\"type\":\"presence\"") == std::string::npos) continue;
    if (frame.find("\"event\":\"join\"") != std::string::npos) ++joins;
    if (frame.find("\"event\":\"leave\"") != std::string::npos) ++leaves;
  }
  CHECK(joins == 1);
  CHECK(leaves == 1);
}

TEST_CASE("hub: a pipelined create, join, send and leave are carried out in order", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul", "essex-cc");
  hub.send(*paul, R"({"type":"create","id":2,"room":"piped"})");
  hub.send(*paul, R"({"type":"join","id":3,"room":"piped"})");
  hub.send(*paul, R"({"type":"send","id":4,"room":"piped","text":"first"})");
  hub.send(*paul, R"({"type":"leave","id":5,"room":"piped"})");
  hub.send(*paul, R"({"type":"send","id":6,"room":"piped","text":"too late"})");
  CHECK(std::string(paul->next(reply_to(2))["type"].GetString()) == "created");
  CHECK(std::string(paul->next(reply_to(3))["type"].GetString()) == "joined");
  // `sent` and `left` may come in either order (the store answers later); the send after the
  // leave is refused.
  CHECK(std::string(paul->next(reply_to(6))["code"].GetString()) == "forbidden");
  bool sent = false, left = false;
  for (const auto& frame : paul->all()) {
    sent = sent || frame.find(R"("type":"sent","re":4)") != std::string::npos;
    left = left || frame.find(R"("type":"left","re":5)") != std::string::npos;
  }
  if (!sent) CHECK(std::string(paul->next(reply_to(4))["type"].GetString()) == "sent");
  CHECK(left);
}

}  // namespace hub_test
