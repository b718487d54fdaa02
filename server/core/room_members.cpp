#include "server/core/room_members.hpp"

namespace outloud::core {

void RoomMembers::add_joining(std::uint64_t conn_id, std::string user_id, Batching batching,
                              std::shared_ptr<Connection> connection) {
  remove(conn_id);
  Member member;
  member.user_id = std::move(user_id);
  member.connection = std::move(connection);
  member.batched_presence = batching.presence;
  member.batched_messages = batching.messages;
  members_.emplace(conn_id, std::move(member));
  if (batching.presence) ++batched_members_;
}

bool RoomMembers::remove(std::uint64_t conn_id) {
  auto it = members_.find(conn_id);
  if (it == members_.end()) return false;
  if (it->second.batched_presence) --batched_members_;
  members_.erase(it);
  return true;
}

const RoomMembers::Member* RoomMembers::find(std::uint64_t conn_id) const {
  auto it = members_.find(conn_id);
  return it == members_.end() ? nullptr : &it->second;
}

bool RoomMembers::is_active(std::uint64_t conn_id) const {
  const auto* member = find(conn_id);
  return member && member->active;
}

bool RoomMembers::queue_presence_change(Frame change) {
  const bool was_empty = presence_queue_.empty();
  presence_queue_.push_back(std::move(change));
  return was_empty;
}

std::vector<Frame> RoomMembers::take_presence_changes() {
  auto changes = std::move(presence_queue_);
  presence_queue_.clear();
  return changes;
}

}  // namespace outloud::core
