// One bus shared by the hub's strands. Each strand is a node of its own as far as the bus goes: it
// subscribes, unsubscribes and publishes through its lane, and hears the events of the rooms its
// lane subscribed. The real bus sees one subscription per room however many lanes hold it, so the
// node keeps one Redis channel per room, and each event is routed to the strands that want it.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "server/backend/bus.hpp"

namespace outloud::core {

class BusLanes final : public backend::BusHandler {
 public:
  // `bus` outlives this; the caller makes this the bus's handler (set_handler) and unsets it before
  // destroying it.
  BusLanes(backend::Bus& bus, std::size_t lanes);
  BusLanes(const BusLanes&) = delete;
  BusLanes& operator=(const BusLanes&) = delete;
  ~BusLanes() override;

  std::size_t size() const { return lanes_.size(); }
  // A lane's set_handler(nullptr) does not wait for a delivery in progress (the real bus's does):
  // unset the real bus's handler first, then the lanes' handlers may go.
  backend::Bus& lane(std::size_t index);

  // BusHandler: from the real bus, on any thread.
  void on_bus_event(backend::BusEvent event) override;
  void on_bus_reconnected() override;

 private:
  class Lane;
  // A room's subscription on the real bus, and the lanes holding it.
  struct Channel {
    std::vector<bool> lanes;
    bool ready = false;  // the real bus confirmed it
    std::vector<backend::Callback<backend::Unit>> waiting;  // lanes' `ready`, until it confirms
  };

  void subscribe(std::size_t lane, std::string room, backend::Callback<backend::Unit> ready);
  void unsubscribe(std::size_t lane, const std::string& room);
  void subscribed(const std::string& room, const std::shared_ptr<Channel>& channel,
                  backend::Result<backend::Unit> result);

  backend::Bus& bus_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  // Calls into the real bus that change its subscriptions, in the order the lanes made them. Never
  // taken while delivering (the embedded bus delivers under a lock of its own).
  std::mutex changes_;
  // The routing table: written under changes_, read by every delivery.
  mutable std::shared_mutex routes_;
  std::map<std::string, std::shared_ptr<Channel>, std::less<>> channels_;
  std::vector<backend::BusHandler*> handlers_;
};

}  // namespace outloud::core
