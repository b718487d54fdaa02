// Presence for a single process: an in-memory map room -> user -> connections. Nothing can
// expire (every connection lives in this process), so the expiry handler is never called.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/backend/presence.hpp"

namespace outloud::embedded {

class MemoryPresence final : public backend::PresenceRegistry {
 public:
  // The clock gives milliseconds since the epoch (the `since` of a presence); replaceable for tests.
  using Clock = std::function<std::int64_t()>;
  MemoryPresence();
  explicit MemoryPresence(Clock clock);

  void join(std::string room, std::string conn_key, protocol::User user, backend::Callback<bool> done) override;
  void leave(std::string room, std::string conn_key, std::string user_id, backend::Callback<bool> done) override;
  void set_state(std::string room, std::string user_id, protocol::PresenceState state,
                 backend::Callback<bool> done) override;
  // Ordered by `since`, then user id.
  void list(std::string room, backend::Callback<std::vector<protocol::PresenceEntry>> done) override;
  // By user id; the cursor is the last user id of the page.
  void page(std::string room, std::string after, int limit, backend::Callback<backend::PresencePage> done) override;
  void online_counts(std::vector<std::string> rooms, backend::Callback<std::vector<int>> done) override;
  void set_expiry_handler(std::function<void(std::string room, protocol::User user)> handler) override;

 private:
  struct Member {
    protocol::User user;
    std::set<std::string> connections;
    protocol::PresenceState state = protocol::PresenceState::online;
    std::int64_t since = 0;
  };
  using RoomMembers = std::map<std::string, Member>;  // by user id

  Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, RoomMembers> rooms_;
};

}  // namespace outloud::embedded
