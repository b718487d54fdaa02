// The single-process bus: publish() hands each event straight to the handler, if its room is
// subscribed. Delivery is synchronous and serialized, so every room's events reach the handler in
// publication order. The handler must not block (the hub only posts to its strand).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "server/backend/bus.hpp"

namespace outloud::embedded {

class EmbeddedBus final : public backend::Bus {
 public:
  EmbeddedBus() = default;
  EmbeddedBus(const EmbeddedBus&) = delete;
  EmbeddedBus& operator=(const EmbeddedBus&) = delete;

  // After set_handler returns, no delivery to the previous handler is still running
  // (unless set_handler is called from inside that handler).
  void set_handler(backend::BusHandler* handler) override;
  // Subscriptions are a set: subscribing twice and unsubscribing once leaves the room unsubscribed.
  void subscribe(std::string room, backend::Callback<backend::Unit> ready) override;
  void unsubscribe(std::string room) override;
  void publish(backend::BusEvent event, backend::Callback<backend::Unit> done) override;
  std::string_view health() const override { return "off"; }

 private:
  // Recursive: a handler may subscribe, unsubscribe or publish from inside on_bus_event.
  std::recursive_mutex mutex_;
  backend::BusHandler* handler_ = nullptr;
  std::unordered_set<std::string> rooms_;
};

}  // namespace outloud::embedded
