// Issue 8: bounded work per request, breakout rooms that belong to their session, and the review
// fixes (acks before a drain closes, a failed re-join, a failed gap fetch in a quiet room).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "hub_fixture.hpp"
#include "server/core/background_priority.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace hub_hardening_test {

namespace {

std::string code_of(const rapidjson::Document& doc) {
  return doc.HasMember("code") ? doc["code"].GetString() : std::string(doc["type"].GetString());
}

// Says hello and returns the connection with its user id.
std::pair<std::shared_ptr<FakeConnection>, std::string> person(HubFixture& hub, const std::string& name,
                                                               const std::string& org) {
  auto connection = hub.open_anonymous();
  hub.send(*connection, R"({"type":"hello","id":1,"name":")" + name + R"(","org":")" + org + R"("})");
  auto welcome = connection->next_type("welcome");
  return {connection, welcome["user"]["id"].GetString()};
}

void create_and_join(HubFixture& hub, FakeConnection& connection, const std::string& room, int id,
                     const std::string& kind = "room") {
  hub.send(connection, R"({"type":"create","id":)" + std::to_string(id) + R"(,"room":")" + room +
                           R"(","kind":")" + kind + R"("})");
  REQUIRE(code_of(connection.next(reply_to(id))) == "created");
  hub.send(connection, R"({"type":"join","id":)" + std::to_string(id + 1) + R"(,"room":")" + room + R"("})");
  REQUIRE(code_of(connection.next(reply_to(id + 1))) == "joined");
}

}  // namespace

TEST_CASE("hub: every `sent` is queued before the drain lets the connections close", "[hub][drain]") {
  HubFixture hub({}, 4);
  auto paul = hub.connect("Paul", "essex-cc");
  create_and_join(hub, *paul, "last-words", 2);
  constexpr int kSends = 30;
  for (int i = 0; i < kSends; ++i) {
    hub.send(*paul, R"({"type":"send","id":)" + std::to_string(100 + i) + R"(,"room":"last-words","text":"m)" +
                        std::to_string(i) + R"("})");
  }
  // What the drain's caller sees when it is told it may close: every write it waited for answered.
  std::promise<int> answered_at_drain;
  hub.hub().drain([&] {
    int sent = 0;
    for (const auto& frame : paul->all()) sent += frame.find(R"("type":"sent")") != std::string::npos;
    answered_at_drain.set_value(sent);
  });
  auto future = answered_at_drain.get_future();
  REQUIRE(future.wait_for(20s) == std::future_status::ready);
  CHECK(future.get() == kSends);
}

TEST_CASE("hub: a hello's token is checked at the process's own priority, not as bulk work", "[hub][hello]") {
  // Bulk work (records, large pages) runs on workers at a lower priority; a newcomer's check must
  // not share their queue or their priority, or a busy machine keeps people waiting at the door.
  std::atomic<int> checks{0};
  std::atomic<int> bulk_priority_checks{0};
  auto record_priority = [&](const p::Hello& hello) {
    const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
    if (nice == core::kBulkNice) ++bulk_priority_checks;
    ++checks;
    return core::open_authenticator()(hello);
  };
  core::HubOptions options;
  options.worker_threads = 1;
  HubFixture hub(options, 1, record_priority);
  auto [reader, reader_id] = person(hub, "Rita Reader", "essex-cc");
  create_and_join(hub, *reader, "bulk", 2);
  // A page of history is serialized on the (only) bulk worker, which then runs at the bulk priority.
  hub.send(*reader, R"({"type":"history","id":4,"room":"bulk","limit":10})");
  REQUIRE(code_of(reader->next(reply_to(4))) == "history");
  for (int i = 0; i < 3; ++i) person(hub, "Newcomer " + std::to_string(i), "nhs-mse");
  CHECK(checks.load() == 4);
  CHECK(bulk_priority_checks.load() == 0);
}

TEST_CASE("hub: a re-join that fails leaves no ghost in presence and no empty room", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul", "essex-cc");
  create_and_join(hub, *paul, "ghosts", 2);
  hub.store().fail_get_room = 1;
  hub.send(*paul, R"({"type":"join","id":4,"room":"ghosts"})");
  CHECK(code_of(paul->next(reply_to(4))) == "unavailable");
  hub.send(*paul, R"({"type":"ping","id":5})");
  paul->next(reply_to(5));
  CHECK(hub.metrics().rooms_active.load() == 0);  // nobody of this node is in it: not subscribed

  auto sam = hub.connect("Sam", "nhs-mse");
  hub.send(*sam, R"({"type":"join","id":6,"room":"ghosts"})");
  auto joined = sam->next(reply_to(6));
  REQUIRE(code_of(joined) == "joined");
  REQUIRE(joined["presence"].Size() == 1);
  CHECK(std::string(joined["presence"][0]["user"]["name"].GetString()) == "Sam");
  // Paul is not in the room: sending there is refused, and joining again works.
  hub.send(*paul, R"({"type":"send","id":7,"room":"ghosts","text":"still here?"})");
  CHECK(code_of(paul->next(reply_to(7))) == "forbidden");
  hub.send(*paul, R"({"type":"join","id":8,"room":"ghosts"})");
  CHECK(code_of(paul->next(reply_to(8))) == "joined");
}

TEST_CASE("hub: a failed gap fetch is retried by a timer, even in a room that then goes quiet", "[hub][gap]") {
  core::HubOptions options;
  options.gap_retry_initial = 50ms;
  HubFixture hub(options);
  auto paul = hub.connect("Paul", "essex-cc");
  create_and_join(hub, *paul, "quiet", 2);
  hub.bus_tap().drop_messages = 1;  // pub/sub loses seq 1
  hub.store().fail_after = 1;       // and the first read of the gap fails
  hub.send(*paul, R"({"type":"send","id":10,"room":"quiet","text":"one"})");
  paul->next(reply_to(10));
  hub.send(*paul, R"({"type":"send","id":11,"room":"quiet","text":"two"})");
  paul->next(reply_to(11));
  // Nothing more is sent: only the retry can deliver them.
  CHECK(paul->next(message_event(), 5s)["seq"].GetInt64() == 1);
  CHECK(paul->next(message_event(), 5s)["seq"].GetInt64() == 2);
}

TEST_CASE("hub: rooms come in pages with a cursor; a plain `rooms` gets the first page", "[hub][rooms]") {
  core::HubOptions options;
  options.rooms_page_default = 4;
  HubFixture hub(options);
  auto paul = hub.connect("Paul", "essex-cc");
  for (int i = 0; i < 7; ++i) {
    hub.send(*paul, R"({"type":"create","id":)" + std::to_string(10 + i) + R"(,"room":"room-)" + std::to_string(i) +
                        R"("})");
    REQUIRE(code_of(paul->next(reply_to(10 + i))) == "created");
  }
  hub.send(*paul, R"({"type":"rooms","id":20})");
  auto first = paul->next(reply_to(20));
  CHECK(first["rooms"].Size() == 4);
  REQUIRE(first.HasMember("next"));
  CHECK(std::string(first["next"].GetString()) == "room-3");

  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    const int id = 30 + page;
    hub.send(*paul, R"({"type":"rooms","id":)" + std::to_string(id) + R"(,"limit":3)" +
                        (after.empty() ? std::string() : R"(,"after":")" + after + "\"") + "}");
    auto reply = paul->next(reply_to(id));
    REQUIRE(reply["rooms"].Size() <= 3);
    for (auto& room : reply["rooms"].GetArray()) seen.push_back(room["id"].GetString());
    if (!reply.HasMember("next")) break;
    after = reply["next"].GetString();
  }
  CHECK(seen == std::vector<std::string>{"room-0", "room-1", "room-2", "room-3", "room-4", "room-5", "room-6"});
}

TEST_CASE("hub: room creation is limited per user and in total", "[hub][create]") {
  core::HubOptions options;
  options.create_rate_per_minute = 3;
  options.max_rooms = 5;
  HubFixture hub(options);
  auto paul = hub.connect("Paul", "essex-cc");
  for (int i = 0; i < 3; ++i) {
    hub.send(*paul, R"({"type":"create","id":)" + std::to_string(10 + i) + R"(,"room":"p-)" + std::to_string(i) + R"("})");
    CHECK(code_of(paul->next(reply_to(10 + i))) == "created");
  }
  hub.send(*paul, R"({"type":"create","id":13,"room":"p-3"})");
  auto limited = paul->next(reply_to(13));
  CHECK(code_of(limited) == "rate_limited");
  CHECK(std::string(limited["message"].GetString()).find("per minute") != std::string::npos);

  auto sam = hub.connect("Sam", "nhs-mse");
  hub.send(*sam, R"({"type":"create","id":20,"room":"s-0"})");
  CHECK(code_of(sam->next(reply_to(20))) == "created");
  hub.send(*sam, R"({"type":"create","id":21,"room":"s-1"})");
  CHECK(code_of(sam->next(reply_to(21))) == "created");
  hub.send(*sam, R"({"type":"create","id":22,"room":"s-2"})");
  auto full = sam->next(reply_to(22));
  CHECK(code_of(full) == "forbidden");
  CHECK(std::string(full["message"].GetString()).find("maximum of 5 rooms") != std::string::npos);
}

TEST_CASE("hub: the limits on room creation hold for the node, not per strand", "[hub][create]") {
  core::HubOptions options;
  options.create_rate_per_minute = 3;
  options.strands = 2;
  HubFixture hub(options, 2);
  // One person, two connections: consecutive connections are on different strands.
  auto first = hub.connect("Paul", "essex-cc");
  auto second = hub.connect("Paul", "essex-cc");
  for (int i = 0; i < 4; ++i) {
    auto& paul = i % 2 == 0 ? *first : *second;
    hub.send(paul, R"({"type":"create","id":)" + std::to_string(10 + i) + R"(,"room":"p-)" + std::to_string(i) + R"("})");
    CHECK(code_of(paul.next(reply_to(10 + i))) == (i < 3 ? "created" : "rate_limited"));
  }
}

TEST_CASE("hub: requests in flight per connection are capped", "[hub][inflight]") {
  core::HubOptions options;
  options.max_requests_in_flight = 4;
  HubFixture hub(options);
  auto paul = hub.connect("Paul", "essex-cc");
  create_and_join(hub, *paul, "busy", 2);
  constexpr int kRequests = 300;
  for (int i = 0; i < kRequests; ++i) {
    hub.send(*paul, R"({"type":"history","id":)" + std::to_string(100 + i) + R"(,"room":"busy"})");
  }
  int limited = 0, answered = 0;
  auto one_of_them = [](const rapidjson::Document& doc) {
    return doc.IsObject() && doc.HasMember("re") && doc["re"].IsInt() && doc["re"].GetInt() >= 100 &&
           doc["re"].GetInt() < 100 + kRequests;
  };
  for (int i = 0; i < kRequests; ++i) {  // in any order: the refusals come first
    const auto code = code_of(paul->next(one_of_them));
    limited += code == "rate_limited";
    answered += code == "history";
  }
  CHECK(limited > 0);
  CHECK(answered >= 4);
  CHECK(limited + answered == kRequests);
  hub.send(*paul, R"({"type":"history","id":999,"room":"busy"})");  // all answered: room again
  CHECK(code_of(paul->next(reply_to(999))) == "history");
}

TEST_CASE("hub: history pages of large messages stay under the reply budget", "[hub][history]") {
  core::HubOptions options;
  options.max_reply_bytes = 64 * 1024;
  HubFixture hub(options);
  auto paul = hub.connect("Paul", "essex-cc");
  create_and_join(hub, *paul, "long", 2);
  const std::string text(16000, 'x');
  for (int i = 0; i < 20; ++i) {
    hub.send(*paul, R"({"type":"send","id":)" + std::to_string(100 + i) + R"(,"room":"long","text":")" + text + "\"}");
    paul->next(reply_to(100 + i));
  }
  hub.send(*paul, R"({"type":"history","id":200,"room":"long","limit":200})");
  auto page = paul->next(reply_to(200));
  const auto& messages = page["messages"];
  CHECK(messages.Size() >= 1);
  CHECK(messages.Size() <= 4);  // 4 x 16 KB fit in 64 KB
  CHECK(messages[messages.Size() - 1]["seq"].GetInt64() == 20);  // the newest, ready for `before`
  hub.send(*paul, R"({"type":"history","id":201,"room":"long","after":0,"limit":200})");
  auto forward = paul->next(reply_to(201));
  CHECK(forward["messages"][0]["seq"].GetInt64() == 1);
  CHECK(forward["messages"].Size() <= 4);
}

TEST_CASE("hub: breakout group rooms belong to their session", "[hub][breakout]") {
  HubFixture hub;
  auto [olive, olive_id] = person(hub, "Olive", "essex-cc");
  auto [fran, fran_id] = person(hub, "Fran", "nhs-mse");
  auto [pat, pat_id] = person(hub, "Pat", "resident");
  auto [mallory, mallory_id] = person(hub, "Mallory", "resident");

  // Nobody may make (squat) a group room's id, whether or not the session exists yet.
  hub.send(*mallory, R"({"type":"create","id":2,"room":"council~1"})");
  CHECK(code_of(mallory->next(reply_to(2))) == "forbidden");
  hub.send(*mallory, R"({"type":"create","id":3,"room":"later~12"})");
  CHECK(code_of(mallory->next(reply_to(3))) == "forbidden");
  hub.send(*mallory, R"({"type":"create","id":4,"room":"tilde~ok"})");
  CHECK(code_of(mallory->next(reply_to(4))) == "created");

  create_and_join(hub, *olive, "council", 10, "session");
  hub.send(*fran, R"({"type":"join","id":10,"room":"council"})");
  REQUIRE(code_of(fran->next(reply_to(10))) == "joined");
  hub.send(*pat, R"({"type":"join","id":10,"room":"council"})");
  REQUIRE(code_of(pat->next(reply_to(10))) == "joined");
  hub.send(*olive, R"({"type":"role","id":20,"room":"council","user":")" + fran_id + R"(","role":"facilitator"})");
  REQUIRE(code_of(olive->next(reply_to(20))) == "ok");
  hub.send(*olive, R"({"type":"breakout","id":21,"room":"council","action":"open","groups":1,"strategy":"random"})");
  REQUIRE(code_of(olive->next(reply_to(21))) == "ok");

  hub.send(*fran, R"({"type":"join","id":30,"room":"council~1"})");
  auto group = fran->next(reply_to(30));
  REQUIRE(code_of(group) == "joined");
  CHECK(std::string(group["room"]["kind"].GetString()) == "breakout");
  CHECK(std::string(group["you"]["role"].GetString()) == "facilitator");
  hub.send(*pat, R"({"type":"join","id":31,"room":"council~1"})");
  CHECK(std::string(pat->next(reply_to(31))["you"]["role"].GetString()) == "member");
  hub.send(*pat, R"({"type":"send","id":32,"room":"council~1","text":"from the group"})");
  REQUIRE(code_of(pat->next(reply_to(32))) == "sent");

  // The record covers the group.
  hub.send(*olive, R"({"type":"export","id":40,"room":"council"})");
  auto record = olive->next(reply_to(40));
  REQUIRE(code_of(record) == "export");
  CHECK(std::string(record["markdown"].GetString()).find("from the group") != std::string::npos);
}

TEST_CASE("hub: frames sent right after hello wait for its answer", "[hub]") {
  HubFixture hub;
  auto early = hub.open_anonymous();
  hub.send(*early, R"({"type":"hello","id":1,"name":"Eager","org":"resident"})");
  hub.send(*early, R"({"type":"create","id":2,"room":"eager"})");
  hub.send(*early, R"({"type":"join","id":3,"room":"eager"})");
  CHECK(code_of(early->next(reply_to(1))) == "welcome");
  CHECK(code_of(early->next(reply_to(2))) == "created");
  CHECK(code_of(early->next(reply_to(3))) == "joined");
}

}  // namespace hub_hardening_test
