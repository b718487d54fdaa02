// The hub driven from several threads at once, with its io_context run by four threads: the case
// the ThreadSanitizer build of the unit tests is there for (scripts/test). Per-room order and
// exactly-once delivery must hold whichever thread posts a frame or runs a continuation.
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "hub_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace hub_threads_test {

TEST_CASE("hub: four I/O threads, concurrent senders in three rooms: per-room order, each message once",
          "[hub][threads]") {
  core::HubOptions options;
  options.max_requests_in_flight = 100'000;  // every send is in flight at once here
  // One strand, or four: each person on a strand of their own, every room on all four.
  options.strands = GENERATE(1U, 4U);
  INFO("strands: " << options.strands);
  HubFixture hub(options, 4);
  constexpr int kRooms = 3, kSenders = 4, kPerSender = 40;
  std::vector<std::shared_ptr<FakeConnection>> people;
  for (int i = 0; i < kSenders; ++i) {
    people.push_back(hub.connect("Person " + std::to_string(i), "org-" + std::to_string(i)));
  }
  auto room_id = [](int r) { return "threads-" + std::to_string(r); };
  for (int r = 0; r < kRooms; ++r) {
    hub.send(*people[0], R"({"type":"create","id":)" + std::to_string(100 + r) + R"(,"room":")" + room_id(r) + R"("})");
    REQUIRE(std::string(people[0]->next(reply_to(100 + r))["type"].GetString()) == "created");
  }
  int id = 200;
  for (auto& person : people) {
    for (int r = 0; r < kRooms; ++r, ++id) {
      hub.send(*person, R"({"type":"join","id":)" + std::to_string(id) + R"(,"room":")" + room_id(r) + R"("})");
      REQUIRE(std::string(person->next(reply_to(id))["type"].GetString()) == "joined");
    }
  }

  // Each sender posts its frames from its own thread (Catch2's assertions are not thread-safe: the
  // threads only parse and hand over).
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kPerSender; ++i) {
        for (int r = 0; r < kRooms; ++r) {
          const int frame_id = 10'000 + (s * kPerSender + i) * kRooms + r;
          auto parsed = p::parse_client_frame(R"({"type":"send","id":)" + std::to_string(frame_id) + R"(,"room":")" +
                                              room_id(r) + R"(","text":"s)" + std::to_string(s) + "-" +
                                              std::to_string(i) + R"("})");
          hub.hub().handle(people[s]->id(), std::get<p::ClientFrame>(std::move(parsed)));
        }
      }
    });
  }
  for (auto& sender : senders) sender.join();

  const std::int64_t per_room = kSenders * kPerSender;
  for (auto& person : people) {
    std::map<std::string, std::int64_t> last_seq;
    std::map<std::string, std::map<int, int>> last_of_sender;  // a sender's own messages keep their order
    for (int n = 0; n < kRooms * per_room; ++n) {
      auto message = person->next(message_event());
      const std::string room = message["room"].GetString();
      const std::int64_t seq = message["seq"].GetInt64();
      REQUIRE(seq == last_seq[room] + 1);
      last_seq[room] = seq;
      const std::string text = message["text"].GetString();
      const int sender = std::stoi(text.substr(1, text.find('-') - 1));
      const int index = std::stoi(text.substr(text.find('-') + 1));
      auto [it, first] = last_of_sender[room].try_emplace(sender, index);
      if (!first) REQUIRE(index == ++it->second);
      else REQUIRE(index == 0);
    }
    for (int r = 0; r < kRooms; ++r) CHECK(last_seq[room_id(r)] == per_room);
  }
  // A batch's acks follow its events, and the delivery count follows the frame: both may trail the
  // last event a moment, so they are awaited (within a deadline).
  auto eventually = [](const std::function<bool()>& check) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!check() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return check();
  };
  for (auto& person : people) {
    auto sent = [&person] {
      int count = 0;
      for (const auto& frame : person->all()) count += frame.find(R"("type":"sent")") != std::string::npos;
      return count;
    };
    CHECK(eventually([&] { return sent() >= kRooms * kPerSender; }));
    CHECK(sent() == kRooms * kPerSender);
  }
  CHECK(eventually([&] { return hub.metrics().deliveries.load() >= kRooms * per_room * kSenders; }));
  CHECK(hub.metrics().deliveries.load() == kRooms * per_room * kSenders);
}

}  // namespace hub_threads_test
