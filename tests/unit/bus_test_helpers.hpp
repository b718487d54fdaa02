// Helpers of the bus tests (contract_bus, bus_lanes_test): events, and waits for a bus's answers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "await.hpp"
#include "server/backend/bus.hpp"

namespace outloud::testing::bus_helpers {

using backend::BusEvent;

inline BusEvent make_event(const std::string& room, const std::string& text) {
  BusEvent event;
  event.kind = BusEvent::Kind::event;
  event.room = room;
  event.payload = std::make_shared<const std::string>(text);
  return event;
}

inline void subscribe(backend::Bus& bus, const std::string& room) {
  await_value<backend::Unit>([&](auto done) { bus.subscribe(room, done); });
}

inline void publish(backend::Bus& bus, BusEvent event) {
  await_value<backend::Unit>([&](auto done) { bus.publish(std::move(event), done); });
}

inline std::vector<std::string> payloads(const std::vector<BusEvent>& events) {
  std::vector<std::string> texts;
  for (const auto& event : events) texts.push_back(event.payload ? *event.payload : "<null>");
  return texts;
}

}  // namespace outloud::testing::bus_helpers
