// Rooms: creating, listing, and opening one on this node (subscribed, its sequencer primed)
// before anyone joins it here; closing it when its last member here is gone.
#include <algorithm>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

void Hub::Impl::on_create(std::uint64_t conn_id, const Request& re, const p::Create& create) {
  if (facilitation::is_breakout_room_id(create.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden,
                "room ids ending in ~<number> are reserved for the breakout groups of a session");
  }
  // The settings a room may be born with are checked as the `room` frame checks them.
  if (auto refusal = settings_refusal(create.label, create.visibility)) {
    return fail(conn_id, re, p::ErrorCode::bad_request, *refusal);
  }
  const auto user = *connection(conn_id)->user;
  if (user.guest) return fail(conn_id, re, p::ErrorCode::forbidden, "guests cannot create rooms");
  admit_create(conn_id, re, [this, conn_id, re, create, user] {
    p::Room room{create.room, create.title.empty() ? create.room : create.title, create.kind, user.id, now_ms(),
                 std::nullopt};
    room.org = user.org;
    room.label = options_.labels.empty() ? p::kDefaultLabel : options_.labels.front();
    // Born private, a room is never announced to anyone who may not see it (announce_room).
    if (create.visibility) room.visibility = *create.visibility;
    if (create.label) room.label = *create.label;
    // Settings other than the defaults go on the audit log as the `room` frame's changes do.
    std::string settings;
    if (room.visibility != p::Visibility::open) settings += "; visibility " + std::string(p::to_string(room.visibility));
    if (create.label) settings += "; label " + room.label;
    ++node_->creates_in_flight;
    backends_.store.create_room(room, on_strand<p::Room>([this, conn_id, re, user, settings](Result<p::Room> created) {
                                  --node_->creates_in_flight;
                                  if (!created) return fail(conn_id, re, created.error());
                                  // The session names its owner as they are now, before they first join.
                                  transact(created.value().id,
                                           [user](const facilitation::SessionState& state, const p::Room& meta,
                                                  const std::vector<p::PresenceEntry>&) {
                                             return facilitation::note_owner(state, meta, user);
                                           },
                                           false, [](Result<facilitation::Outcome>) {});
                                  if (!accounts_mode()) {
                                    announce_room(created.value());
                                    return reply(conn_id, re, p::created_frame(re, created.value()));
                                  }
                                  // The creator is the room's first member, as its owner.
                                  backends_.accounts->ensure_member(
                                      created.value(), user, p::Role::owner,
                                      on_strand<accounts::Membership>([this, conn_id, re, user, settings,
                                                                       room = created.value()](
                                                                          Result<accounts::Membership> member) {
                                        if (!member) return fail(conn_id, re, member.error());
                                        if (!settings.empty()) {
                                          backends_.accounts->record(user, accounts::kAuditRoomChanged, room.id,
                                                                     "created" + settings);
                                        }
                                        announce_room(room);
                                        reply(conn_id, re, p::created_frame(re, room));
                                      }));
                                }));
  });
}

// One page per request, however many rooms there are: the reply's size and the work are bounded.
// In accounts mode a page leaves out what the person may not see (private rooms, and every room
// for a guest, are listed only for their members), so the store is read on past them, a bounded
// number of raw pages, until the page is full; `next` is always a room the person sees, never one
// that was left out (it would name a private room to whoever pages with a small limit).
void Hub::Impl::on_rooms(std::uint64_t conn_id, const Request& re, const p::ListRooms& list) {
  connection(conn_id)->follows_room_list = true;
  RoomsScan scan;
  scan.limit = std::clamp(list.limit.value_or(options_.rooms_page_default), 1, p::kMaxRoomsPage);
  scan.archived = list.archived;
  scan.cursor = list.after.value_or("");
  if (!accounts_mode()) return scan_rooms(conn_id, re, std::move(scan));
  backends_.accounts->rooms_of(connection(conn_id)->user->id, on_strand<std::vector<std::string>>(
      [this, conn_id, re, scan = std::move(scan)](Result<std::vector<std::string>> mine) mutable {
        if (!mine) return fail(conn_id, re, mine.error());
        scan.member_of = std::set<std::string>(mine.value().begin(), mine.value().end());
        auto* conn = connection(conn_id);
        if (conn && conn->user->guest) return list_guest_rooms(conn_id, re, std::move(scan));
        scan_rooms(conn_id, re, std::move(scan));
      }));
}

// A guest sees only the rooms it is a member of and their breakout groups: those are read directly
// (two store reads a membership) instead of scanning every room of the deployment past them.
void Hub::Impl::list_guest_rooms(std::uint64_t conn_id, const Request& re, RoomsScan scan) {
  struct Gathered {
    std::size_t waiting = 0;
    std::vector<p::Room> rooms;
    bool failed = false;
  };
  auto gathered = std::make_shared<Gathered>();
  std::vector<std::string> memberships;
  for (const auto& id : *scan.member_of) {
    if (memberships.size() == kMaxGuestRoomsListed) break;
    memberships.push_back(id);
  }
  auto finish = [this, conn_id, re, gathered, scan = std::move(scan)]() mutable {
    if (gathered->failed) return fail(conn_id, re, backend::unavailable("the room list could not be read"));
    auto& rooms = gathered->rooms;
    std::sort(rooms.begin(), rooms.end(), [](const p::Room& a, const p::Room& b) { return a.id < b.id; });
    std::optional<std::string> next;
    for (auto& room : rooms) {
      if (room.id <= scan.cursor || (!scan.archived && room.archived)) continue;
      if (static_cast<int>(scan.page.size()) == scan.limit) {
        next = scan.page.back().id;
        break;
      }
      scan.page.push_back(std::move(room));
    }
    send_rooms_page(conn_id, re, std::move(scan.page), std::move(next));
  };
  if (memberships.empty()) return finish();
  gathered->waiting = memberships.size() * 2;
  auto one_done = std::make_shared<decltype(finish)>(std::move(finish));
  for (const auto& id : memberships) {
    backends_.store.get_room(id, on_strand<std::optional<p::Room>>([gathered, one_done](Result<std::optional<p::Room>> room) {
      if (!room) gathered->failed = true;
      else if (room.value()) gathered->rooms.push_back(std::move(*room.value()));
      if (--gathered->waiting == 0) (*one_done)();
    }));
    // A session's groups are `<session>~<n>`: their ids follow "<session>~" in byte order. Another
    // room may start so too ("<session>~annex", anyone's): only the session's own groups count.
    backends_.store.list_rooms_page(id + "~", kMaxBreakoutGroups, on_strand<std::vector<p::Room>>(
        [gathered, one_done, id](Result<std::vector<p::Room>> rooms) {
          if (!rooms) gathered->failed = true;
          else {
            for (auto& room : rooms.value()) {
              if (is_group_of(room, id)) gathered->rooms.push_back(std::move(room));
            }
          }
          if (--gathered->waiting == 0) (*one_done)();
        }));
  }
}

void Hub::Impl::scan_rooms(std::uint64_t conn_id, const Request& re, RoomsScan scan) {
  // Unfiltered, one more than the page says whether another follows; filtered, whole pages of
  // the largest size, since most of what is read may be left out.
  const int raw_limit = scan.member_of ? p::kMaxRoomsPage + 1 : scan.limit + 1;
  std::string after = scan.cursor;  // not read in the call: `scan` is moved into its continuation
  backends_.store.list_rooms_page(
      std::move(after), raw_limit,
      on_strand<std::vector<p::Room>>([this, conn_id, re, raw_limit, scan = std::move(scan)](
                                          Result<std::vector<p::Room>> rooms) mutable {
        if (!rooms) return fail(conn_id, re, rooms.error());
        auto* conn = connection(conn_id);
        if (!conn) return;
        const bool more_in_store = static_cast<int>(rooms.value().size()) == raw_limit;
        ++scan.raw_pages;
        std::optional<std::string> next;
        for (auto& room : rooms.value()) {
          scan.cursor = room.id;
          if (scan.member_of && !sees(*conn->user, room, *scan.member_of)) continue;
          scan.last_seen = room.id;  // seen, whether or not the archived filter shows it
          if (static_cast<int>(scan.page.size()) == scan.limit) {
            next = scan.page.back().id;  // a room beyond the full page: another page follows
            break;
          }
          if (scan.archived || !room.archived) scan.page.push_back(std::move(room));
        }
        if (!next && more_in_store) {
          if (scan.raw_pages < kMaxRoomsScanPages) return scan_rooms(conn_id, re, std::move(scan));
          // Read enough for one request: go on from the last room the person sees, if any.
          if (!scan.last_seen.empty()) {
            next = scan.last_seen;
          } else {
            log::warn("rooms: %d pages of rooms %s may not see; the listing stops there", kMaxRoomsScanPages,
                      conn->user->id.c_str());
          }
        }
        send_rooms_page(conn_id, re, std::move(scan.page), std::move(next));
      }));
}

void Hub::Impl::send_rooms_page(std::uint64_t conn_id, const Request& re, std::vector<p::Room> page,
                                std::optional<std::string> next) {
  std::vector<std::string> ids;
  for (const auto& room : page) ids.push_back(room.id);
  backends_.presence.online_counts(
      std::move(ids), on_strand<std::vector<int>>([this, conn_id, re, page = std::move(page),
                                                   next = std::move(next)](Result<std::vector<int>> counts) {
        if (!counts) return fail(conn_id, re, counts.error());
        std::vector<p::RoomListing> listing;
        for (std::size_t i = 0; i < page.size(); ++i) {
          listing.push_back({page[i], i < counts.value().size() ? counts.value()[i] : 0});
        }
        finish_rooms_listing(conn_id, re, std::move(listing), next);
      }));
}

// A room is ready on this node once the bus delivers its events here and its sequencer knows
// where the stored history ends; only then may members read their snapshots (see join_finish).
void Hub::Impl::with_ready_room(const std::string& room,
                                std::function<void(LocalRoom*, std::optional<backend::Error>)> next) {
  auto* local = local_room(room);
  if (local && local->ready) return next(local, std::nullopt);
  if (!local) {
    auto created = std::make_unique<LocalRoom>();
    created->census = node_->census.share(room);
    local = created.get();
    rooms_[room] = std::move(created);
  }
  local->ready_waiters.push_back([this, room, next](bool ok) {
    auto* current = local_room(room);
    if (!ok || !current) return next(nullptr, backend::unavailable("the room could not be opened on this node"));
    next(current, std::nullopt);
  });
  if (!local->preparing) prepare_room(room);
}

void Hub::Impl::prepare_room(const std::string& room) {
  local_room(room)->preparing = true;
  backends_.store.get_room(room, on_strand<std::optional<p::Room>>([this, room](Result<std::optional<p::Room>> found) {
    auto* local = local_room(room);
    if (!local) return;
    if (!found || !found.value()) return finish_prepare(room, false);
    local->meta = *found.value();
    backends_.bus.subscribe(room, on_strand<backend::Unit>([this, room](Result<backend::Unit> subscribed) {
      if (!local_room(room)) return;
      if (!subscribed) return finish_prepare(room, false);
      backends_.store.latest(room, 0, on_strand<backend::Page>([this, room](Result<backend::Page> page) {
        auto* local = local_room(room);
        if (!local) return;
        if (!page) return finish_prepare(room, false);
        apply_sequencer(room, local->sequencer.prime(page.value().head));
        finish_prepare(room, true);
      }));
    }));
  }));
}

void Hub::Impl::finish_prepare(const std::string& room, bool ok) {
  auto* local = local_room(room);
  if (!local) return;
  local->preparing = false;
  local->ready = ok;
  auto waiters = std::move(local->ready_waiters);
  local->ready_waiters.clear();
  if (!ok) {
    backends_.bus.unsubscribe(room);
    rooms_.erase(room);
  }
  for (auto& waiter : waiters) waiter(ok);
}


void Hub::Impl::drop_room_if_empty(const std::string& room) {
  auto* local = local_room(room);
  if (!local || !local->members.empty() || local->preparing || !local->ready_waiters.empty()) return;
  // Keep no subscription for a room with no member here.
  backends_.bus.unsubscribe(room);
  rooms_.erase(room);
}

}  // namespace outloud::core
