// Who is in which room, across every node. A user with several connections counts once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/backend/result.hpp"

namespace outloud::backend {

// A bounded part of a room's presence (large rooms page it instead of listing it whole).
struct PresencePage {
  std::vector<protocol::PresenceEntry> entries;
  std::optional<std::string> next;  // opaque cursor of the next page; none: this was the last
  int online = 0;                   // users present in the room
};

class PresenceRegistry {
 public:
  virtual ~PresenceRegistry() = default;

  // conn_key identifies one connection across every node ("<node>/<connection>").
  // Callback: true if this is the user's first connection present in the room.
  virtual void join(std::string room, std::string conn_key, protocol::User user, Callback<bool> done) = 0;
  // Callback: true if that was the user's last connection in the room.
  virtual void leave(std::string room, std::string conn_key, std::string user_id, Callback<bool> done) = 0;
  // Sets the user's state in the room. Callback: true if it changed.
  virtual void set_state(std::string room, std::string user_id, protocol::PresenceState state,
                         Callback<bool> done) = 0;
  // One entry per user present.
  virtual void list(std::string room, Callback<std::vector<protocol::PresenceEntry>> done) = 0;
  // About `limit` entries after the cursor `after` (empty: from the start), in an order of the
  // registry's own, and the room's count. Each user present for the whole paging is listed at
  // least once (a Redis page may repeat one: clients merge by user id).
  virtual void page(std::string room, std::string after, int limit, Callback<PresencePage> done) = 0;
  // Users present in each room, in the order given.
  virtual void online_counts(std::vector<std::string> rooms, Callback<std::vector<int>> done) = 0;
  // Users whose every connection in a room vanished without a leave (their node died), called on any
  // thread; the hub announces their `leave`. Embedded registries never call it.
  virtual void set_expiry_handler(std::function<void(std::string room, protocol::User user)> handler) = 0;
};

}  // namespace outloud::backend
