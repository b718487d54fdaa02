#include "server/core/bus_lanes.hpp"

#include <algorithm>
#include <utility>

#include <boost/container/small_vector.hpp>

namespace outloud::core {

class BusLanes::Lane final : public backend::Bus {
 public:
  Lane(BusLanes& owner, std::size_t index) : owner_(owner), index_(index) {}

  void set_handler(backend::BusHandler* handler) override {
    std::unique_lock lock(owner_.routes_);
    owner_.handlers_[index_] = handler;
  }
  void subscribe(std::string room, backend::Callback<backend::Unit> ready) override {
    owner_.subscribe(index_, std::move(room), std::move(ready));
  }
  void unsubscribe(std::string room) override { owner_.unsubscribe(index_, room); }
  void publish(backend::BusEvent event, backend::Callback<backend::Unit> done) override {
    owner_.bus_.publish(std::move(event), std::move(done));
  }
  std::string_view health() const override { return owner_.bus_.health(); }

 private:
  BusLanes& owner_;
  const std::size_t index_;
};

BusLanes::BusLanes(backend::Bus& bus, std::size_t lanes) : bus_(bus), handlers_(std::max<std::size_t>(1, lanes)) {
  for (std::size_t i = 0; i < handlers_.size(); ++i) lanes_.push_back(std::make_unique<Lane>(*this, i));
}

BusLanes::~BusLanes() = default;

backend::Bus& BusLanes::lane(std::size_t index) { return *lanes_.at(index); }

void BusLanes::subscribe(std::size_t lane, std::string room, backend::Callback<backend::Unit> ready) {
  std::unique_lock changes(changes_);
  std::shared_ptr<Channel> channel;
  bool first = false;
  {
    std::unique_lock lock(routes_);
    auto& slot = channels_[room];
    if (!slot) {
      slot = std::make_shared<Channel>();
      slot->lanes.resize(lanes_.size());
      first = true;
    }
    channel = slot;
    channel->lanes[lane] = true;
    if (!channel->ready) {
      if (ready) channel->waiting.push_back(std::move(ready));
      ready = nullptr;
    }
  }
  if (first) {
    // Under changes_: a lane's unsubscribe cannot reach the bus before this subscribe does.
    bus_.subscribe(room, [this, room, channel](backend::Result<backend::Unit> result) {
      subscribed(room, channel, std::move(result));
    });
  }
  changes.unlock();
  if (ready) ready(backend::Unit{});  // the room was already subscribed: events reach this lane from now on
}

void BusLanes::subscribed(const std::string& room, const std::shared_ptr<Channel>& channel,
                          backend::Result<backend::Unit> result) {
  std::vector<backend::Callback<backend::Unit>> waiting;
  {
    std::unique_lock lock(routes_);
    waiting = std::move(channel->waiting);
    channel->waiting.clear();
    if (result) {
      channel->ready = true;
    } else if (auto it = channels_.find(room); it != channels_.end() && it->second == channel) {
      // Every lane waiting hears of the failure; the next subscribe tries the bus again.
      channels_.erase(it);
    }
  }
  for (auto& ready : waiting) ready(result);
}

void BusLanes::unsubscribe(std::size_t lane, const std::string& room) {
  std::unique_lock changes(changes_);
  {
    std::unique_lock lock(routes_);
    auto it = channels_.find(room);
    if (it == channels_.end()) return;
    auto& lanes = it->second->lanes;
    lanes[lane] = false;
    for (bool held : lanes) {
      if (held) return;
    }
    // A subscribe still unconfirmed keeps its waiters: they are answered when the bus answers.
    channels_.erase(it);
  }
  bus_.unsubscribe(room);
}

void BusLanes::on_bus_event(backend::BusEvent event) {
  // Collected under the lock, called after it (a handler only posts, but need not know the lock).
  boost::container::small_vector<backend::BusHandler*, 8> targets;
  {
    std::shared_lock lock(routes_);
    auto it = channels_.find(event.room);
    if (it == channels_.end() || !it->second->ready) return;
    const auto& lanes = it->second->lanes;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      if (lanes[i] && handlers_[i] != nullptr) targets.push_back(handlers_[i]);
    }
  }
  if (targets.empty()) return;
  // Each lane gets its own copy of the routing fields; the payload's bytes are shared.
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) targets[i]->on_bus_event(event);
  targets.back()->on_bus_event(std::move(event));
}

void BusLanes::on_bus_reconnected() {
  std::vector<backend::BusHandler*> handlers;
  {
    std::shared_lock lock(routes_);
    handlers = handlers_;
  }
  for (auto* handler : handlers) {
    if (handler) handler->on_bus_reconnected();
  }
}

}  // namespace outloud::core
