// The Bus contract (server/backend/bus.hpp), run against every backend kind.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "bus_test_helpers.hpp"

namespace outloud::testing {
namespace contract_bus_test {

using namespace bus_helpers;

TEST_CASE("bus: events reach the handler for subscribed rooms only, with every field", "[contract][bus]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "bus-rooms");
    auto& bus = backends->bus();
    CHECK((bus.health() == "up" || bus.health() == "off"));
    RecordingHandler handler(bus);
    subscribe(bus, "housing");  // `ready` was called: from now on events reach the handler

    publish(bus, make_event("transport", R"({"type":"typing"})"));  // not subscribed
    BusEvent event = make_event("housing", R"({"type":"presence"})");
    event.seq = 17;
    event.exclude_user = "u-alice";
    event.only_users = {"u-bob", "u-carol"};
    publish(bus, event);
    BusEvent state = make_event("housing", R"({"locked":true})");
    state.kind = BusEvent::Kind::state;
    state.version = 3;
    publish(bus, state);

    // Events of one publisher arrive in order, so had `transport` been delivered it would be first.
    REQUIRE(handler.wait_for("housing", 2));
    auto events = handler.events();
    REQUIRE(events.size() == 2);
    CHECK(events[0].room == "housing");
    CHECK(events[0].kind == BusEvent::Kind::event);
    CHECK(events[0].seq == 17);
    CHECK(events[0].exclude_user == "u-alice");
    CHECK(events[0].only_users == std::vector<std::string>{"u-bob", "u-carol"});
    CHECK(*events[0].payload == R"({"type":"presence"})");
    CHECK(events[1].kind == BusEvent::Kind::state);
    CHECK(events[1].version == 3);
    CHECK(events[1].exclude_user.empty());
    CHECK(events[1].only_users.empty());
    CHECK(*events[1].payload == R"({"locked":true})");
  }
}

TEST_CASE("bus: each room's events arrive in publication order", "[contract][bus]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "bus-order");
    auto& bus = backends->bus();
    RecordingHandler handler(bus);
    subscribe(bus, "a");
    subscribe(bus, "b");

    // Two publishers, one room each, at the same time.
    constexpr int kEach = 300;
    std::vector<std::thread> publishers;
    for (std::string room : {"a", "b"}) {
      publishers.emplace_back([&bus, room] {
        for (int i = 0; i < kEach; ++i) bus.publish(make_event(room, room + std::to_string(i)), nullptr);
      });
    }
    for (auto& publisher : publishers) publisher.join();
    REQUIRE(handler.wait_for("a", kEach));
    REQUIRE(handler.wait_for("b", kEach));
    for (std::string room : {"a", "b"}) {
      std::vector<std::string> expected;
      for (int i = 0; i < kEach; ++i) expected.push_back(room + std::to_string(i));
      CHECK(payloads(handler.events_for(room)) == expected);
    }
  }
}

TEST_CASE("bus: an unsubscribed room gets nothing more", "[contract][bus]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "bus-unsubscribe");
    auto& bus = backends->bus();
    RecordingHandler handler(bus);
    subscribe(bus, "housing");
    publish(bus, make_event("housing", "before"));
    REQUIRE(handler.wait_for("housing", 1));

    bus.unsubscribe("housing");
    // A subscription made after the unsubscribe is ready only once the unsubscribe took effect.
    subscribe(bus, "transport");
    publish(bus, make_event("housing", "after"));
    publish(bus, make_event("transport", "marker"));
    REQUIRE(handler.wait_for("transport", 1));
    CHECK(payloads(handler.events()) == std::vector<std::string>{"before", "marker"});

    // Subscribing again resumes delivery.
    subscribe(bus, "housing");
    publish(bus, make_event("housing", "again"));
    REQUIRE(handler.wait_for("housing", 2));
    CHECK(payloads(handler.events_for("housing")) == std::vector<std::string>{"before", "again"});
  }
}

}  // namespace contract_bus_test
}  // namespace outloud::testing
