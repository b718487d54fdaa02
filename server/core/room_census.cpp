#include "server/core/room_census.hpp"

namespace outloud::core {

RoomCensus::Share RoomCensus::share(const std::string& room) {
  std::lock_guard lock(mutex_);
  auto& slot = rooms_[room];
  auto count = slot.lock();
  if (!count) {
    if (rooms_open_) {
      ++*rooms_open_;
      // The last strand to drop the room closes it on the node.
      count = std::shared_ptr<Count>(new Count(0), [rooms_open = rooms_open_](Count* gone) {
        --*rooms_open;
        delete gone;
      });
    } else {
      count = std::make_shared<Count>(0);
    }
    slot = count;
  }
  if (rooms_.size() >= sweep_at_) {
    for (auto it = rooms_.begin(); it != rooms_.end();) it = it->second.expired() ? rooms_.erase(it) : std::next(it);
    sweep_at_ = std::max<std::size_t>(64, rooms_.size() * 2);
  }
  return Share(std::move(count));
}

}  // namespace outloud::core
