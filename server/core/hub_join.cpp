// Joining and leaving a room: the join flow, step by step, up to `joined`, and the leave.
#include <algorithm>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"
#include "server/core/reply_budget.hpp"

namespace outloud::core {

void Hub::Impl::on_join(std::uint64_t conn_id, const Request& re, const p::Join& join) {
  auto* conn = connection(conn_id);
  if (conn->rooms.count(join.room)) {
    if (!is_active_member(conn_id, join.room)) {
      fail(conn_id, re, p::ErrorCode::conflict, "already joining this room");
      return;
    }
    // A repeated join refreshes the snapshot. The connection stays present (joining again with the
    // same key announces nothing); only its place among the room's members starts over.
    auto* local = local_room(join.room);
    local->members.remove(conn_id);
    local->census.follow(static_cast<std::int64_t>(local->members.size()));
    conn->rejoining.insert(join.room);
  } else if (conn->rooms.size() >= options_.max_rooms_per_connection) {
    fail(conn_id, re, p::ErrorCode::forbidden,
         "joined-room limit reached (" + std::to_string(options_.max_rooms_per_connection) + " per connection)");
    return;
  }
  conn->rooms.insert(join.room);
  // The room may not exist, or be hidden from this person: look it up before anything is
  // subscribed or announced.
  room_access(*conn->user, join.room, [this, conn_id, re, join](Result<std::optional<RoomAccess>> found) {
    auto* conn = connection(conn_id);
    if (!conn || !conn->rooms.count(join.room)) return;
    if (!found || !found.value() || !found.value()->visible) {
      abandon_join(conn_id, join.room);
      if (!found) return fail(conn_id, re, found.error());
      return fail(conn_id, re, p::ErrorCode::not_found, "no room '" + join.room + "'");
    }
    // Joining an open room makes one a member of it (breakout groups belong to their room).
    const auto& access = *found.value();
    if (accounts_mode() && !access.membership && access.room.kind != p::RoomKind::breakout) {
      backends_.accounts->ensure_member(access.room, *conn->user, p::Role::member,
                                        [room = join.room](Result<accounts::Membership> member) {
                                          if (!member) log::warn("membership of %s not stored", room.c_str());
                                        });
    }
    auto enter = [this, conn_id, re, join] { join_enter(conn_id, re, join); };
    // Invited as facilitator or observer: the room's role is given before the first `joined`.
    // A room open here whose state already gives them a role needs no store round trip.
    const auto* open_here = local_room(join.room);
    const bool role_given =
        open_here && facilitation::role_of(open_here->session, open_here->meta, conn->user->id) != p::Role::member;
    if (accounts_mode() && access.membership && access.room.kind != p::RoomKind::breakout && !role_given &&
        (access.membership->role == p::Role::facilitator || access.membership->role == p::Role::observer)) {
      return give_membership_role(access.room, *conn->user, access.membership->role,
                                  [this, conn_id, re, join, enter](std::optional<backend::Error> error) {
                                    auto* conn = connection(conn_id);
                                    if (!conn || !conn->rooms.count(join.room)) return;
                                    if (!error) return enter();
                                    abandon_join(conn_id, join.room);
                                    fail(conn_id, re, *error);
                                  });
    }
    enter();
  });
}

void Hub::Impl::join_enter(std::uint64_t conn_id, Request re, p::Join join) {
    with_ready_room(join.room, [this, conn_id, re, join](LocalRoom* local, std::optional<backend::Error> error) {
      auto* conn = connection(conn_id);
      if (!conn || !conn->rooms.count(join.room)) {
        drop_room_if_empty(join.room);
        return;
      }
      if (error) {
        abandon_join(conn_id, join.room);
        return fail(conn_id, re, *error);
      }
      // From here on, every event of the room is held for this member until `joined` is sent.
      local->members.add_joining(conn_id, conn->user->id,
                                 {.presence = join.presence_limit.has_value(), .messages = join.message_batches},
                                 conn->connection);
      local->census.follow(static_cast<std::int64_t>(local->members.size()));
      const auto user = *conn->user;
      backends_.presence.join(join.room, conn_key(conn_id), user,
                              on_strand<bool>([this, conn_id, re, join, user](Result<bool> first) {
                                if (!connection(conn_id) || !local_room(join.room) ||
                                    !local_room(join.room)->members.contains(conn_id)) {
                                  return;
                                }
                                if (!first) {
                                  abandon_join(conn_id, join.room);
                                  return fail(conn_id, re, first.error());
                                }
                                if (first.value()) {
                                  publish_presence(join.room,
                                                p::presence_event(join.room, p::PresenceEvent::join, user,
                                                                  p::PresenceState::online),
                                                user.id);
                                }
                                auto* conn = connection(conn_id);
                                if (conn->presence_state != p::PresenceState::online) {
                                  backends_.presence.set_state(join.room, user.id, conn->presence_state, [](Result<bool>) {});
                                }
                                join_read_snapshot(conn_id, re, join);
                              }));
    });
}

void Hub::Impl::join_read_snapshot(std::uint64_t conn_id, Request re, p::Join join) {
  const int limit = std::clamp(join.limit.value_or(options_.history_default_limit), 1, options_.history_max_limit);
  auto read_latest = [this, conn_id, re, join, limit] {
    backends_.store.latest(join.room, limit, on_strand<backend::Page>([this, conn_id, re, join](Result<backend::Page> page) {
      if (!page) {
        abandon_join(conn_id, join.room);
        return fail(conn_id, re, page.error());
      }
      join_finish(conn_id, re, join, std::move(page.value()), false);
    }));
  };
  if (!join.since) return read_latest();
  const std::int64_t since = *join.since;
  const int max = options_.recovery_max_messages;
  backends_.store.after(join.room, since, max + 1,
                        on_strand<backend::Page>([this, conn_id, re, join, since, max, read_latest](Result<backend::Page> page) {
                          if (!page) {
                            abandon_join(conn_id, join.room);
                            return fail(conn_id, re, page.error());
                          }
                          const auto& messages = page.value().messages;
                          const std::int64_t head = page.value().head;
                          const bool complete =
                              since <= head && static_cast<int>(messages.size()) <= max &&
                              (messages.empty() ? head == since
                                                : messages.front().seq == since + 1 && messages.back().seq == head &&
                                                      static_cast<std::int64_t>(messages.size()) == head - since);
                          std::size_t bytes = 0;
                          for (const auto& message : messages) bytes += reply_bytes(message);
                          // Too much to recover in one reply: the latest page, and the client pages back.
                          if (!complete || bytes > options_.max_reply_bytes) return read_latest();
                          join_finish(conn_id, re, join, std::move(page.value()), true);
                        }));
}

void Hub::Impl::join_finish(std::uint64_t conn_id, Request re, p::Join join, backend::Page page, bool recovered) {
  ensure_state(join.room, [this, conn_id, re, join, page = std::move(page), recovered](
                              std::optional<backend::Error> error) mutable {
    auto* conn = connection(conn_id);
    auto* local = local_room(join.room);
    if (!conn || !local || !local->members.contains(conn_id)) return;
    if (error) {
      abandon_join(conn_id, join.room);
      return fail(conn_id, re, *error);
    }
    auto reply = [this, conn_id, re, join, page = std::move(page), recovered]() mutable {
      join_reply(conn_id, re, join, std::move(page), recovered);
    };
    // A first-time participant is recorded before `joined`, so its roles and the record know them.
    if (facilitation::arrival_noted(local->session, local->meta, *conn->user)) return reply();
    local->participants_waiting.push_back({*conn->user, std::move(reply)});
    if (!local->recording_participants) record_participants(join.room);
  });
}

// One save records everyone who joined meanwhile: a storm of joins costs a few state writes, not
// one each (and a compare-and-set conflict for all but one of them).
void Hub::Impl::record_participants(const std::string& room) {
  auto* local = local_room(room);
  if (!local) return;
  local->recording_participants = !local->participants_waiting.empty();
  if (!local->recording_participants) return;
  auto batch = std::move(local->participants_waiting);
  local->participants_waiting.clear();
  std::vector<p::User> users;
  users.reserve(batch.size());
  for (const auto& waiting : batch) users.push_back(waiting.user);
  transact(
      room,
      [users = std::move(users)](const facilitation::SessionState& state, const p::Room& meta,
                                 const std::vector<p::PresenceEntry>&) {
        return facilitation::note_arrivals(state, meta, users);
      },
      false,
      [this, room, batch = std::move(batch)](Result<facilitation::Outcome> noted) mutable {
        auto release = [this, room, batch = std::move(batch)]() mutable {
          for (auto& waiting : batch) waiting.then();
          record_participants(room);
        };
        if (!noted) {
          log::warn("participants not recorded in %s: %s", room.c_str(), noted.error().message.c_str());
          return release();
        }
        if (!noted.value().changed) return release();
        // Late joiners listed: the facilitators hear of them (carry_out sends the events).
        carry_out(room, p::User{}, std::move(noted.value()), std::move(release));
      });
}

void Hub::Impl::join_reply(std::uint64_t conn_id, Request re, p::Join join, backend::Page page, bool recovered) {
  auto answer = [this, conn_id, re, join, page = std::move(page), recovered](
                    Result<backend::PresencePage> presence) mutable {
    auto* conn = connection(conn_id);
    auto* local = local_room(join.room);
    if (!conn || !local || !local->members.contains(conn_id)) return;
    if (!presence) {
      abandon_join(conn_id, join.room);
      return fail(conn_id, re, presence.error());
    }
    p::JoinedReply joined;
    joined.room = local->meta;
    joined.presence = std::move(presence.value().entries);
    if (join.presence_limit) {
      joined.online = presence.value().online;
      joined.presence_next = std::move(presence.value().next);
    }
    if (!recovered) trim_to_budget(page.messages, options_.max_reply_bytes, true);
    joined.messages = std::move(page.messages);
    joined.head = page.head;
    joined.recovered = recovered;
    const auto& user_id = conn->user->id;
    joined.role = facilitation::role_of(local->session, local->meta, user_id);
    joined.session_json = facilitation::session_json(local->session, local->meta, now_ms());
    reply(conn_id, re, p::joined_frame(re, joined));
    conn->rejoining.erase(join.room);
    // Everything stored after the snapshot was emitted after this member was registered, so the
    // room index kept it: nothing missed, nothing twice.
    metrics_.deliveries += local->members.activate(conn_id, page.head, send_to_member());
  };
  if (join.presence_limit) {
    return backends_.presence.page(join.room, "", *join.presence_limit,
                                   on_strand<backend::PresencePage>(std::move(answer)));
  }
  // The spec's `joined`: everyone present.
  backends_.presence.list(join.room, on_strand<std::vector<p::PresenceEntry>>(
                                         [answer = std::move(answer)](Result<std::vector<p::PresenceEntry>> list) mutable {
                                           if (!list) return answer(list.error());
                                           backend::PresencePage everyone;
                                           everyone.online = static_cast<int>(list.value().size());
                                           everyone.entries = std::move(list.value());
                                           answer(std::move(everyone));
                                         }));
}

void Hub::Impl::abandon_join(std::uint64_t conn_id, const std::string& room) {
  remove_member(conn_id, room);
}

void Hub::Impl::on_leave(std::uint64_t conn_id, const Request& re, const p::Leave& leave) {
  auto* conn = connection(conn_id);
  if (!conn->rooms.count(leave.room)) {
    fail(conn_id, re, p::ErrorCode::not_found, "not in room '" + leave.room + "'");
    return;
  }
  remove_member(conn_id, leave.room);
  reply(conn_id, re, p::left_frame(re, leave.room));
}

void Hub::Impl::remove_member(std::uint64_t conn_id, const std::string& room) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  conn->rooms.erase(room);
  // A re-join in progress is not among the members, but its first join's presence entry stands.
  const bool present_from_before = conn->rejoining.erase(room) > 0;
  auto* local = local_room(room);
  const bool was_member = local && local->members.remove(conn_id);
  if (was_member) local->census.follow(static_cast<std::int64_t>(local->members.size()));
  if (!was_member && !present_from_before) {
    drop_room_if_empty(room);
    return;
  }
  const auto user = *conn->user;
  // Read now: the room may be dropped here before the registry answers.
  const bool hand_up = local && local->session_version >= 0 &&
                       std::find(local->session.hands.begin(), local->session.hands.end(), user.id) !=
                           local->session.hands.end();
  write_started();  // a shutdown's drain waits until the other nodes are told (no ghost entries)
  backends_.presence.leave(room, conn_key(conn_id), user.id, on_strand<bool>([this, room, user, hand_up](Result<bool> last) {
                             if (!last || !last.value()) return write_finished();
                             if (hand_up) lower_hand_of_leaver(room, user.id);
                             publish_presence(room,
                                              p::presence_event(room, p::PresenceEvent::leave, user,
                                                                p::PresenceState::online),
                                              user.id, on_strand<backend::Unit>([this](auto) { write_finished(); }));
                           }));
  drop_room_if_empty(room);
}


}  // namespace outloud::core
