// BusLanes (server/core/bus_lanes.hpp): several strands sharing one bus, over every real bus kind,
// and over a bus whose confirmations the test gives by hand.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "bus_test_helpers.hpp"
#include "server/core/bus_lanes.hpp"

namespace outloud::testing {
namespace bus_lanes_test {

using namespace bus_helpers;

// The lanes as the hub wires them: the lanes are the real bus's handler.
struct Wired {
  explicit Wired(backend::Bus& bus, std::size_t count) : bus(bus), lanes(bus, count) { bus.set_handler(&lanes); }
  ~Wired() { bus.set_handler(nullptr); }
  backend::Bus& bus;
  core::BusLanes lanes;
};

TEST_CASE("bus lanes: a room's events reach every lane subscribed to it, in order, and no other",
          "[bus][lanes]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "lanes-routing");
    Wired wired(backends->bus(), 3);
    RecordingHandler first(wired.lanes.lane(0)), second(wired.lanes.lane(1)), third(wired.lanes.lane(2));
    subscribe(wired.lanes.lane(0), "housing");
    subscribe(wired.lanes.lane(1), "housing");
    subscribe(wired.lanes.lane(1), "transport");
    subscribe(wired.lanes.lane(2), "marker");

    constexpr int kEach = 200;
    std::vector<std::thread> publishers;
    for (std::string room : {"housing", "transport"}) {
      publishers.emplace_back([&wired, room] {
        for (int i = 0; i < kEach; ++i) wired.lanes.lane(2).publish(make_event(room, room + std::to_string(i)), nullptr);
      });
    }
    for (auto& publisher : publishers) publisher.join();
    BusEvent marked = make_event("housing", "last");
    marked.seq = 41;
    marked.only_users = {"u-bob"};
    publish(wired.lanes.lane(0), marked);
    publish(wired.lanes.lane(0), make_event("marker", "end"));

    REQUIRE(first.wait_for("housing", kEach + 1));
    REQUIRE(second.wait_for("housing", kEach + 1));
    REQUIRE(second.wait_for("transport", kEach));
    REQUIRE(third.wait_for("marker", 1));
    std::map<std::string, std::vector<std::string>> expected;
    for (std::string room : {"housing", "transport"}) {
      for (int i = 0; i < kEach; ++i) expected[room].push_back(room + std::to_string(i));
    }
    expected["housing"].push_back("last");
    CHECK(payloads(first.events_for("housing")) == expected["housing"]);
    CHECK(payloads(second.events_for("housing")) == expected["housing"]);
    CHECK(payloads(second.events_for("transport")) == expected["transport"]);
    CHECK(first.events_for("transport").empty());
    CHECK(payloads(third.events()) == std::vector<std::string>{"end"});
    // Every field travels to each lane; the payload's bytes are shared, not copied.
    const auto a = first.events_for("housing").back(), b = second.events_for("housing").back();
    CHECK(a.seq == 41);
    CHECK(a.only_users == std::vector<std::string>{"u-bob"});
    CHECK(b.only_users == std::vector<std::string>{"u-bob"});
    CHECK(a.payload.get() == b.payload.get());
  }
}

TEST_CASE("bus lanes: the room stays subscribed on the bus until its last lane leaves", "[bus][lanes]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "lanes-unsubscribe");
    Wired wired(backends->bus(), 2);
    RecordingHandler first(wired.lanes.lane(0)), second(wired.lanes.lane(1));
    subscribe(wired.lanes.lane(0), "housing");
    subscribe(wired.lanes.lane(1), "housing");
    subscribe(wired.lanes.lane(1), "marker");

    wired.lanes.lane(0).unsubscribe("housing");
    publish(wired.lanes.lane(0), make_event("housing", "one lane"));
    REQUIRE(second.wait_for("housing", 1));

    wired.lanes.lane(1).unsubscribe("housing");
    wired.lanes.lane(1).unsubscribe("housing");  // a set: a second unsubscribe changes nothing
    // A subscription made after the unsubscribe is ready only once the unsubscribe took effect.
    subscribe(wired.lanes.lane(0), "marker");
    publish(wired.lanes.lane(0), make_event("housing", "nobody"));
    publish(wired.lanes.lane(0), make_event("marker", "end"));
    REQUIRE(first.wait_for("marker", 1));
    REQUIRE(second.wait_for("marker", 1));
    CHECK(payloads(first.events()) == std::vector<std::string>{"end"});
    CHECK(payloads(second.events()) == std::vector<std::string>{"one lane", "end"});

    // Subscribing again, from either lane, resumes delivery there.
    subscribe(wired.lanes.lane(0), "housing");
    publish(wired.lanes.lane(1), make_event("housing", "again"));
    REQUIRE(first.wait_for("housing", 1));
    CHECK(payloads(first.events_for("housing")) == std::vector<std::string>{"again"});
  }
}

// A bus that answers subscriptions only when told: what lanes do while the real bus has not confirmed.
class ManualBus final : public backend::Bus {
 public:
  void set_handler(backend::BusHandler* handler) override { handler_ = handler; }
  void subscribe(std::string room, backend::Callback<backend::Unit> ready) override {
    subscribes.push_back(room);
    pending[room] = std::move(ready);
  }
  void unsubscribe(std::string room) override { unsubscribes.push_back(room); }
  void publish(backend::BusEvent event, backend::Callback<backend::Unit> done) override {
    if (handler_) handler_->on_bus_event(std::move(event));
    if (done) done(backend::Unit{});
  }
  std::string_view health() const override { return "up"; }

  void confirm(const std::string& room) { std::exchange(pending[room], nullptr)(backend::Unit{}); }
  void refuse(const std::string& room) {
    std::exchange(pending[room], nullptr)(backend::unavailable("the bus is down"));
  }
  void reconnected() { handler_->on_bus_reconnected(); }

  std::vector<std::string> subscribes, unsubscribes;
  std::map<std::string, backend::Callback<backend::Unit>> pending;

 private:
  backend::BusHandler* handler_ = nullptr;
};

// Two lanes over a ManualBus, each with a recording handler; `answer(who)` is a `ready` callback
// that notes "<who> ready" or "<who> failed" in `answers`.
struct TwoLanes {
  ManualBus bus;
  Wired wired{bus, 2};
  RecordingHandler first{wired.lanes.lane(0)}, second{wired.lanes.lane(1)};
  std::vector<std::string> answers;
  backend::Bus& lane(std::size_t index) { return wired.lanes.lane(index); }
  backend::Callback<backend::Unit> answer(std::string who) {
    return [this, who](backend::Result<backend::Unit> result) { answers.push_back(who + (result ? " ready" : " failed")); };
  }
};

TEST_CASE("bus lanes: one subscription on the bus per room; lanes are ready when it is", "[bus][lanes]") {
  TwoLanes t;
  auto& [bus, wired, first, second, answers] = t;
  auto answer = [&t](std::string who) { return t.answer(std::move(who)); };

  wired.lanes.lane(0).subscribe("housing", answer("first"));
  wired.lanes.lane(1).subscribe("housing", answer("second"));
  CHECK(bus.subscribes == std::vector<std::string>{"housing"});
  CHECK(answers.empty());
  bus.publish(make_event("housing", "too early"), nullptr);  // not confirmed: nobody was promised it
  bus.confirm("housing");
  CHECK(answers == std::vector<std::string>{"first ready", "second ready"});
  bus.publish(make_event("housing", "on time"), nullptr);
  CHECK(payloads(first.events()) == std::vector<std::string>{"on time"});
  CHECK(payloads(second.events()) == std::vector<std::string>{"on time"});

  // A lane subscribing to a confirmed room is ready at once, without asking the bus again.
  wired.lanes.lane(1).unsubscribe("housing");
  wired.lanes.lane(1).subscribe("housing", answer("second again"));
  CHECK(answers.back() == "second again ready");
  CHECK(bus.subscribes.size() == 1);
  CHECK(bus.unsubscribes.empty());

  // Both leave: the bus is told once.
  wired.lanes.lane(0).unsubscribe("housing");
  wired.lanes.lane(1).unsubscribe("housing");
  CHECK(bus.unsubscribes == std::vector<std::string>{"housing"});

  // Every lane hears of a reconnection (each refills its rooms from the store).
  bus.reconnected();
  CHECK(first.reconnects() == 1);
  CHECK(second.reconnects() == 1);
}

TEST_CASE("bus lanes: a refused subscription fails every lane waiting, and the next one asks again",
          "[bus][lanes]") {
  TwoLanes t;
  auto& [bus, wired, first, second, answers] = t;
  auto answer = [&t](std::string who) { return t.answer(std::move(who)); };
  wired.lanes.lane(0).subscribe("housing", answer("first"));
  wired.lanes.lane(1).subscribe("housing", answer("second"));
  bus.refuse("housing");
  CHECK(answers == std::vector<std::string>{"first failed", "second failed"});
  bus.publish(make_event("housing", "lost"), nullptr);
  CHECK(first.events().empty());

  wired.lanes.lane(1).subscribe("housing", answer("second, later"));
  CHECK(bus.subscribes == std::vector<std::string>{"housing", "housing"});
  bus.confirm("housing");
  CHECK(answers.back() == "second, later ready");
  bus.publish(make_event("housing", "heard"), nullptr);
  CHECK(first.events().empty());
  CHECK(payloads(second.events()) == std::vector<std::string>{"heard"});

  // Left while the bus had not answered: the bus is told, and the late answer changes nothing.
  wired.lanes.lane(0).subscribe("transport", answer("first transport"));
  wired.lanes.lane(0).unsubscribe("transport");
  CHECK(bus.unsubscribes == std::vector<std::string>{"transport"});
  bus.confirm("transport");
  CHECK(answers.back() == "first transport ready");
  bus.publish(make_event("transport", "nobody"), nullptr);
  CHECK(first.events().empty());
}

}  // namespace bus_lanes_test
}  // namespace outloud::testing
