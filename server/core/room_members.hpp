// The connections of one room on this node, as a plain data structure with no I/O (as uWebSockets'
// TopicTree): who is still joining (what arrives for them is kept until their `joined` is sent),
// who is active, and the presence changes waiting for the room's next coalesced frame. The hub asks
// it whom to send what, through a `send(conn_id, frame)` or `send(member, frame)` callable (the
// member keeps its connection at hand, so fan-out needs no lookup); it sends nothing itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/backend/bus.hpp"
#include "server/core/connection.hpp"

namespace outloud::core {

namespace room_members_detail {
// Calls `send(member, frame)` when the callable takes a member, else `send(conn_id, frame)`.
template <class Send, class Member, class Frame>
void send_to(Send& send, std::uint64_t conn_id, const Member& member, const Frame& frame) {
  if constexpr (std::is_invocable_v<Send&, const Member&, const Frame&>) {
    send(member, frame);
  } else {
    send(conn_id, frame);
  }
}
}  // namespace room_members_detail

class RoomMembers {
 public:
  struct Member {
    std::string user_id;
    std::shared_ptr<Connection> connection;  // where its frames go (null in tests of the index alone)
    bool active = false;  // `joined` was sent: live frames flow
    // Joined with presence paging (protocol/README.md "Large rooms"): presence changes come
    // coalesced in `presence_batch` frames instead of one `presence` event each.
    bool batched_presence = false;
    // Joined with `message_batches`: a round of several messages comes as one `message_batch`.
    bool batched_messages = false;
    std::int64_t skip_through = 0;  // messages up to this seq were in `joined`
    // What arrived while joining, in order, sent right after `joined`: messages (kind message,
    // with their seq) and frames (kind event).
    std::vector<backend::BusEvent> kept_until_joined;
  };

  // Registers a connection that is joining: from now on nothing for the room passes it by.
  // A connection already registered starts over.
  struct Batching {
    bool presence = false;  // `presence_batch` events instead of `presence` events
    bool messages = false;  // `message_batch` events for rounds of several messages
  };
  void add_joining(std::uint64_t conn_id, std::string user_id, Batching batching,
                   std::shared_ptr<Connection> connection = nullptr);
  // False if it was not a member.
  bool remove(std::uint64_t conn_id);
  const Member* find(std::uint64_t conn_id) const;
  bool contains(std::uint64_t conn_id) const { return members_.count(conn_id) > 0; }
  bool is_active(std::uint64_t conn_id) const;
  bool empty() const { return members_.empty(); }
  std::size_t size() const { return members_.size(); }
  const std::map<std::uint64_t, Member>& members() const { return members_; }

  // The member's `joined` went out with messages up to `snapshot_head`: it becomes active, and
  // `send` gets what was kept for it, in order, less the messages that were in `joined`.
  // Returns the number of messages so sent. False-y (0) and nothing sent if not a joining member.
  template <class Send>
  std::size_t activate(std::uint64_t conn_id, std::int64_t snapshot_head, Send&& send);

  // A message of the room, in seq order: active members get it once, joining ones keep it.
  // Returns the number of deliveries.
  template <class Send>
  std::size_t deliver_message(std::int64_t seq, const Frame& frame, Send&& send);

  // Messages of the room in seq order, as one round: each active member gets those it has not
  // had, through one `send_many(member, frames, count, messages)` (`messages`: how many the frames
  // carry, `count` of them or one batch's worth); joining ones keep them. A member with
  // batched messages gets two or more as one frame, `make_batch(frames, count)`, made once for
  // every member that gets the whole round. Returns the number of (message) deliveries.
  template <class SendMany, class MakeBatch>
  std::size_t deliver_messages(const std::vector<std::pair<std::int64_t, Frame>>& messages, SendMany&& send_many,
                               MakeBatch&& make_batch);

  // A frame for the room's connections (typing, facilitation, and presence for members without
  // batching), filtered by the event's exclude_user / only_users. With `skip_batched`, members
  // with batched presence are left out (they get the change in the room's next batch).
  template <class Send>
  void deliver_event(const backend::BusEvent& event, bool skip_batched, Send&& send);

  // Presence changes for the members with batched presence, kept until the next flush.
  // Returns true if the queue was empty before (the caller arms its flush).
  bool queue_presence_change(Frame change);
  bool has_batched_members() const { return batched_members_ > 0; }
  bool presence_queued() const { return !presence_queue_.empty(); }
  std::vector<Frame> take_presence_changes();
  // A flushed batch: active batched members get it, joining ones keep it for after `joined`.
  template <class Send>
  void deliver_presence_batch(const Frame& batch, Send&& send);

 private:
  // A message for a member still joining, sent after its `joined` (activate).
  static void keep_message(Member& member, std::int64_t seq, const Frame& frame) {
    backend::BusEvent kept;
    kept.kind = backend::BusEvent::Kind::message;
    kept.seq = seq;
    kept.payload = frame;
    member.kept_until_joined.push_back(std::move(kept));
  }

  std::map<std::uint64_t, Member> members_;  // by connection id
  std::size_t batched_members_ = 0;
  std::vector<Frame> presence_queue_;
};

template <class Send>
std::size_t RoomMembers::activate(std::uint64_t conn_id, std::int64_t snapshot_head, Send&& send) {
  auto it = members_.find(conn_id);
  if (it == members_.end() || it->second.active) return 0;
  auto& member = it->second;
  member.active = true;
  member.skip_through = snapshot_head;
  auto kept = std::move(member.kept_until_joined);
  member.kept_until_joined.clear();
  std::size_t messages = 0;
  for (auto& event : kept) {
    const bool is_message = event.kind == backend::BusEvent::Kind::message;
    if (is_message && event.seq <= snapshot_head) continue;
    room_members_detail::send_to(send, conn_id, member, event.payload);
    if (is_message) ++messages;
  }
  return messages;
}

template <class Send>
std::size_t RoomMembers::deliver_message(std::int64_t seq, const Frame& frame, Send&& send) {
  std::size_t delivered = 0;
  for (auto& [conn_id, member] : members_) {
    if (!member.active) {
      keep_message(member, seq, frame);
      continue;
    }
    if (seq <= member.skip_through) continue;
    room_members_detail::send_to(send, conn_id, member, frame);
    ++delivered;
  }
  return delivered;
}

template <class SendMany, class MakeBatch>
std::size_t RoomMembers::deliver_messages(const std::vector<std::pair<std::int64_t, Frame>>& messages,
                                          SendMany&& send_many, MakeBatch&& make_batch) {
  std::size_t delivered = 0;
  std::vector<Frame> frames;  // the round's frames, shared by every member
  frames.reserve(messages.size());
  for (const auto& message : messages) frames.push_back(message.second);
  Frame whole_round_batch;  // made for the first batched member that gets the whole round
  for (auto& [conn_id, member] : members_) {
    if (!member.active) {
      for (const auto& [seq, frame] : messages) keep_message(member, seq, frame);
      continue;
    }
    // In seq order: those up to skip_through (in `joined` already) come first.
    std::size_t first = 0;
    while (first < messages.size() && messages[first].first <= member.skip_through) ++first;
    if (first == messages.size()) continue;
    const std::size_t count = frames.size() - first;
    delivered += count;
    if (!member.batched_messages || count < 2) {
      send_many(member, frames.data() + first, count, count);
    } else if (first > 0) {
      const Frame batch = make_batch(frames.data() + first, count);
      send_many(member, &batch, 1, count);
    } else {
      if (!whole_round_batch) whole_round_batch = make_batch(frames.data(), count);
      send_many(member, &whole_round_batch, 1, count);
    }
  }
  return delivered;
}

template <class Send>
void RoomMembers::deliver_event(const backend::BusEvent& event, bool skip_batched, Send&& send) {
  for (auto& [conn_id, member] : members_) {
    if (skip_batched && member.batched_presence) continue;
    if (!event.exclude_user.empty() && member.user_id == event.exclude_user) continue;
    if (!event.only_users.empty()) {
      bool listed = false;
      for (const auto& user : event.only_users) listed = listed || user == member.user_id;
      if (!listed) continue;
    }
    if (!member.active) {
      backend::BusEvent kept;
      kept.kind = backend::BusEvent::Kind::event;
      kept.payload = event.payload;
      member.kept_until_joined.push_back(std::move(kept));
      continue;
    }
    room_members_detail::send_to(send, conn_id, member, event.payload);
  }
}

template <class Send>
void RoomMembers::deliver_presence_batch(const Frame& batch, Send&& send) {
  for (auto& [conn_id, member] : members_) {
    if (!member.batched_presence) continue;
    if (!member.active) {
      backend::BusEvent kept;
      kept.kind = backend::BusEvent::Kind::event;
      kept.payload = batch;
      member.kept_until_joined.push_back(std::move(kept));
      continue;
    }
    room_members_detail::send_to(send, conn_id, member, batch);
  }
}

}  // namespace outloud::core
