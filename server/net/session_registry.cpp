#include "server/net/session_registry.hpp"

#include <vector>

namespace outloud::net {

bool SessionRegistry::add(const std::shared_ptr<core::Connection>& connection) {
  std::lock_guard lock(mutex_);
  if (closing_) return false;
  sessions_.emplace(connection->id(), connection);
  return true;
}

void SessionRegistry::remove(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(connection_id);
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionRegistry::close_all(std::uint16_t code, const std::string& reason) {
  std::vector<std::weak_ptr<core::Connection>> targets;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    targets.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) targets.push_back(weak);
  }
  for (const auto& weak : targets) {
    if (auto connection = weak.lock()) connection->close(code, reason);
  }
}

}  // namespace outloud::net
