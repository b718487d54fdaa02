// Presence: status changes, expired users, and (protocol/README.md "Large rooms") the coalesced
// presence changes and paged presence lists that keep a join cheap however large the room.
#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

void Hub::Impl::on_status(std::uint64_t conn_id, const Request& re, const p::Status& status) {
  auto* conn = connection(conn_id);
  conn->presence_state = status.state;
  const auto user = *conn->user;
  for (const auto& room : conn->rooms) {
    if (!is_active_member(conn_id, room)) continue;
    backends_.presence.set_state(room, user.id, status.state,
                                 on_strand<bool>([this, room, user, state = status.state](Result<bool> changed) {
                                   if (changed && changed.value()) {
                                     publish_presence(room, p::presence_event(room, p::PresenceEvent::update, user, state),
                                                      user.id);
                                   }
                                 }));
  }
  if (re) reply(conn_id, re, p::ok_frame(re));
}

void Hub::Impl::announce_expired(const std::string& room, const p::User& user) {
  publish_presence(room, p::presence_event(room, p::PresenceEvent::leave, user, p::PresenceState::online), user.id);
  lower_hand_of_leaver(room, user.id);
}

void Hub::Impl::publish_presence(const std::string& room, std::string frame, std::string user_id,
                                 backend::Callback<backend::Unit> published) {
  publish_event(room, std::move(frame), std::move(user_id), {}, std::move(published),
                backend::BusEvent::Kind::presence);
}

// Members without batching get the spec's event at once; the change waits for the room's next
// batch for the others.
void Hub::Impl::deliver_presence(LocalRoom& room, const backend::BusEvent& event) {
  deliver_round(room);
  room.members.deliver_event(event, true, send_to_member());
  if (!room.members.has_batched_members()) return;
  room.members.queue_presence_change(event.payload);
  schedule_presence_flush(room, false);
}

// One flush at a time per room; a busy room's next comes presence_flush_interval after the last.
void Hub::Impl::schedule_presence_flush(LocalRoom& room, bool just_flushed) {
  if (room.presence_flush_running || !room.members.presence_queued()) return;
  room.presence_flush_running = true;
  const bool busy = room.census.node_members() >= static_cast<std::int64_t>(options_.presence_immediate_below);
  if (!busy && !just_flushed) return flush_presence(room.meta.id);
  if (!room.presence_timer) room.presence_timer = std::make_unique<asio::steady_timer>(strand_);
  room.presence_timer->expires_after(busy ? options_.presence_flush_interval : std::chrono::milliseconds(0));
  room.presence_timer->async_wait([self = shared_from_this(), name = room.meta.id](boost::system::error_code error) {
    if (!error) self->flush_presence(name);
  });
}

void Hub::Impl::flush_presence(const std::string& room) {
  auto* local = local_room(room);
  if (!local) return;
  // The count goes with the changes, so a client paging a large room knows its size without
  // listing it; counted after the changes were taken, so it is at least as new as they are.
  auto changes = local->members.take_presence_changes();
  backends_.presence.online_counts(
      {room}, on_strand<std::vector<int>>([this, room, changes = std::move(changes)](Result<std::vector<int>> counts) {
        auto* local = local_room(room);
        if (!local) return;
        if (counts && !counts.value().empty()) {
          local->presence_online = counts.value().front();
        } else if (!counts) {
          log::warn("presence of room %s not counted: %s", room.c_str(), counts.error().message.c_str());
        }
        std::vector<std::string_view> texts;
        texts.reserve(changes.size());
        for (const auto& change : changes) texts.push_back(*change);
        if (!texts.empty()) {
          deliver_round(*local);
          local->members.deliver_presence_batch(make_frame(p::presence_batch_event(room, texts, local->presence_online)),
                                                send_to_member());
        }
        local->presence_flush_running = false;
        schedule_presence_flush(*local, true);
      }));
}

void Hub::Impl::on_presence_page(std::uint64_t conn_id, const Request& re, const p::PresencePage& request) {
  if (!is_active_member(conn_id, request.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + request.room + "' to see who is there");
  }
  const int limit = std::clamp(request.limit.value_or(options_.presence_page_default), 1, p::kMaxPresencePage);
  backends_.presence.page(request.room, request.after.value_or(""), limit,
                          on_strand<backend::PresencePage>([this, conn_id, re, room = request.room](
                                                               Result<backend::PresencePage> page) {
                            if (!page) return fail(conn_id, re, page.error());
                            reply(conn_id, re,
                                  p::presence_page_frame(re, room, page.value().entries, page.value().next,
                                                         page.value().online));
                          }));
}

}  // namespace outloud::core
