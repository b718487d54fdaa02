// Who is in which room, across every node. A user with several connections counts once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/backend/result.hpp"

namespace outloud::backend {

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
  // Users present in each room, in the order given.
  virtual void online_counts(std::vector<std::string> rooms, Callback<std::vector<int>> done) = 0;
  // Users whose every connection in a room vanished without a leave (their node died), called on any
  // thread; the hub announces their `leave`. Embedded registries never call it.
  virtual void set_expiry_handler(std::function<void(std::string room, protocol::User user)> handler) = 0;
};

}  // namespace outloud::backend
