#include "server/embedded/embedded_bus.hpp"

#include <utility>

namespace outloud::embedded {

void EmbeddedBus::set_handler(backend::BusHandler* handler) {
  std::lock_guard lock(mutex_);
  handler_ = handler;
}

void EmbeddedBus::subscribe(std::string room, backend::Callback<backend::Unit> ready) {
  {
    std::lock_guard lock(mutex_);
    rooms_.insert(std::move(room));
  }
  if (ready) ready(backend::Unit{});
}

void EmbeddedBus::unsubscribe(std::string room) {
  std::lock_guard lock(mutex_);
  rooms_.erase(room);
}

void EmbeddedBus::publish(backend::BusEvent event, backend::Callback<backend::Unit> done) {
  {
    // Held across the delivery: events of one room can never overtake each other.
    std::lock_guard lock(mutex_);
    if (handler_ != nullptr && rooms_.count(event.room) != 0) handler_->on_bus_event(std::move(event));
  }
  if (done) done(backend::Unit{});
}

}  // namespace outloud::embedded
