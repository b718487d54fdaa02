#include "server/core/hub.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"
#include "server/core/reply_budget.hpp"

namespace outloud::core {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 32> buffer{};
  bytes = std::min(bytes, buffer.size());
  RAND_bytes(buffer.data(), static_cast<int>(bytes));
  std::string out;
  char hex[3];
  for (std::size_t i = 0; i < bytes; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", buffer[i]);
    out += hex;
  }
  return out;
}

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hub: a thread-safe handle that posts onto the strand.

std::shared_ptr<Hub> Hub::create(asio::any_io_executor executor, Backends backends, HubOptions options,
                                 Authenticator authenticate, Metrics& metrics) {
  auto impl = std::make_shared<Impl>(std::move(executor), backends, std::move(options), std::move(authenticate),
                                     metrics);
  // Users whose node died vanish from presence by expiry; whoever notices announces their leave.
  backends.presence.set_expiry_handler([weak = std::weak_ptr<Impl>(impl)](std::string room, protocol::User user) {
    if (auto impl = weak.lock()) {
      asio::post(impl->strand(), [impl, room = std::move(room), user = std::move(user)] {
        impl->announce_expired(room, user);
      });
    }
  });
  if (backends.accounts) asio::post(impl->strand(), [impl] { impl->start(); });
  asio::post(impl->strand(), [impl] { impl->subscribe_notices(); });
  return std::shared_ptr<Hub>(new Hub(std::move(impl)));
}

Hub::Hub(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hub::~Hub() {
  // Whatever the workers are doing finishes first: they use the backends, which go next.
  if (!impl_->workers()->get_executor().running_in_this_thread()) impl_->workers()->join();
}

void Hub::open(std::shared_ptr<Connection> connection) {
  asio::post(impl_->strand(), [impl = impl_, connection = std::move(connection)]() mutable {
    impl->open(std::move(connection));
  });
}

void Hub::handle(std::uint64_t connection_id, protocol::ClientFrame frame) {
  asio::post(impl_->strand(), [impl = impl_, connection_id, frame = std::move(frame)]() mutable {
    impl->handle(connection_id, std::move(frame));
  });
}

void Hub::closed(std::uint64_t connection_id) {
  asio::post(impl_->strand(), [impl = impl_, connection_id] { impl->closed(connection_id); });
}

void Hub::export_record(p::Export request, backend::Callback<std::string> done) {
  asio::post(impl_->strand(), [impl = impl_, request = std::move(request), done = std::move(done)]() mutable {
    impl->export_markdown(std::move(request), std::move(done));
  });
}

void Hub::export_record_as(accounts::Identity who, p::Export request, backend::Callback<std::string> done) {
  asio::post(impl_->strand(), [impl = impl_, who = std::move(who), request = std::move(request), done = std::move(done)]() mutable {
    impl->export_as(who, request, std::move(done));
  });
}

void Hub::drain(std::function<void()> done) {
  asio::post(impl_->strand(), [impl = impl_, done = std::move(done)]() mutable { impl->drain(std::move(done)); });
}

void Hub::on_bus_event(backend::BusEvent event) {
  asio::post(impl_->strand(), [impl = impl_, event = std::move(event)]() mutable {
    impl->on_bus_event(std::move(event));
  });
}

void Hub::on_bus_reconnected() {
  asio::post(impl_->strand(), [impl = impl_] { impl->on_bus_reconnected(); });
}

// ---------------------------------------------------------------------------------------------
// Impl

Hub::Impl::Impl(asio::any_io_executor executor, Backends backends, HubOptions options, Authenticator authenticate,
                Metrics& metrics)
    : strand_(asio::make_strand(std::move(executor))),
      workers_(std::make_shared<asio::thread_pool>(static_cast<std::size_t>(std::max(1, options.worker_threads)))),
      backends_(backends),
      options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      metrics_(metrics) {}

void Hub::Impl::send_to(std::uint64_t conn_id, std::string frame) {
  if (auto* conn = connection(conn_id)) conn->connection->send(make_frame(std::move(frame)));
}

void Hub::Impl::fail(std::uint64_t conn_id, const OptId& re, p::ErrorCode code, std::string message) {
  metrics_.refused(code);
  reply(conn_id, re, p::error_frame(re, code, message));
}

void Hub::Impl::fail(std::uint64_t conn_id, const OptId& re, const backend::Error& error) {
  fail(conn_id, re, error.code, error.message);
}

ConnState* Hub::Impl::connection(std::uint64_t conn_id) {
  auto it = connections_.find(conn_id);
  return it == connections_.end() ? nullptr : &it->second;
}

LocalRoom* Hub::Impl::local_room(const std::string& room) {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? nullptr : it->second.get();
}

bool Hub::Impl::is_active_member(std::uint64_t conn_id, const std::string& room) {
  auto* local = local_room(room);
  if (!local) return false;
  auto it = local->members.find(conn_id);
  return it != local->members.end() && it->second.active;
}

std::string Hub::Impl::conn_key(std::uint64_t conn_id) const {
  return options_.node_id + "/" + std::to_string(conn_id);
}

void Hub::Impl::open(std::shared_ptr<Connection> connection) {
  const auto id = connection->id();
  ConnState state;
  state.connection = std::move(connection);
  state.session_id = random_hex(16);
  connections_[id] = std::move(state);
  metrics_.connections_open++;
  metrics_.connections_total++;
}

void Hub::Impl::closed(std::uint64_t conn_id) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  const auto rooms = conn->rooms;
  for (const auto& room : rooms) remove_member(conn_id, room);
  connections_.erase(conn_id);
  metrics_.connections_open--;
}

namespace {

// Frames that change what later frames about the same room may do.
bool holds_its_room(const p::ClientBody& body) {
  return std::holds_alternative<p::Create>(body) || std::holds_alternative<p::Join>(body) ||
         std::holds_alternative<p::Leave>(body) ||
         (facilitation::is_facilitation_frame(body) && !std::holds_alternative<p::Export>(body));
}

}  // namespace

void Hub::Impl::handle(std::uint64_t conn_id, p::ClientFrame frame) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  metrics_.frames_received++;
  if (conn->authenticating) {
    // Their turn comes with the answer to `hello` (see finish_hello).
    if (conn->before_welcome.size() >= kMaxWaitingFrames) {
      return fail(conn_id, Re{frame.id, nullptr, nullptr}, p::ErrorCode::rate_limited,
                  "too many frames before the answer to hello: wait for it");
    }
    conn->before_welcome.push_back(std::move(frame));
    return;
  }
  route(conn_id, std::move(frame));
}

void Hub::Impl::route(std::uint64_t conn_id, p::ClientFrame frame) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  if (!admit_frame(conn_id, *conn, frame.id)) return;
  const bool allowed_before_hello =
      std::holds_alternative<p::Hello>(frame.body) || std::holds_alternative<p::Ping>(frame.body);
  if (!conn->user && !allowed_before_hello) {
    fail(conn_id, Re{frame.id, nullptr, nullptr}, p::ErrorCode::unauthenticated, "say hello first");
    return;
  }
  const std::string* room = p::room_of(frame.body);
  if (room) {
    auto held = conn->held.find(*room);
    if (held != conn->held.end() && held->second.answered) {
      // The release is on its way; a client that answered the reply at once need not wait for it.
      release_room(conn_id, *room, held->second.hold);
      conn = connection(conn_id);
      if (!conn) return;
      held = conn->held.find(*room);
    }
    if (held != conn->held.end()) {
      if (conn->waiting_frames >= kMaxWaitingFrames) {
        fail(conn_id, Re{frame.id, nullptr, nullptr}, p::ErrorCode::rate_limited,
             "too many frames waiting for room '" + *room + "': wait for the replies");
        return;
      }
      held->second.frames.push_back(std::move(frame));
      conn->waiting_frames++;
      return;
    }
  }
  dispatch(conn_id, std::move(frame));
}

std::shared_ptr<RoomHold> Hub::Impl::hold_room(std::uint64_t conn_id, const std::string& room) {
  auto* conn = connection(conn_id);
  const auto number = ++conn->holds_taken;
  auto& held = conn->held[room];
  held.hold = number;
  held.answered = false;
  // Posted: the waiting frames run after the handler that released the hold has finished.
  return std::make_shared<RoomHold>(room, number, [self = shared_from_this(), conn_id, room, number] {
    asio::post(self->strand_, [self, conn_id, room, number] { self->release_room(conn_id, room, number); });
  });
}

void Hub::Impl::reply(std::uint64_t conn_id, const Re& re, std::string frame) {
  send_to(conn_id, std::move(frame));
  if (!re.hold) return;
  if (auto* conn = connection(conn_id)) {
    auto held = conn->held.find(re.hold->room);
    if (held != conn->held.end() && held->second.hold == re.hold->number) held->second.answered = true;
  }
  re.hold->release();
}

void Hub::Impl::release_room(std::uint64_t conn_id, const std::string& room, std::uint64_t hold) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  auto held = conn->held.find(room);
  if (held == conn->held.end() || held->second.hold != hold) return;  // already released
  while (!held->second.frames.empty()) {
    auto frame = std::move(held->second.frames.front());
    held->second.frames.pop_front();
    conn->waiting_frames--;
    if (holds_its_room(frame.body)) {
      // The next holder takes over the room's entry, with the frames still behind it.
      held->second.hold = 0;
      dispatch(conn_id, std::move(frame));
      return;
    }
    dispatch(conn_id, std::move(frame));
    conn = connection(conn_id);
    if (!conn) return;
    held = conn->held.find(room);
    if (held == conn->held.end()) return;
  }
  conn->held.erase(held);
}

void Hub::Impl::dispatch(std::uint64_t conn_id, p::ClientFrame frame) {
  const std::string* room = p::room_of(frame.body);
  auto* conn = connection(conn_id);
  if (!conn) return;
  Re re{std::move(frame.id), room && holds_its_room(frame.body) ? hold_room(conn_id, *room) : nullptr,
        std::make_shared<InFlight>(conn->in_flight)};
  std::visit(overloaded{
                 [&](const p::Hello& hello) { on_hello(conn_id, re, hello); },
                 [&](const p::Ping&) { reply(conn_id, re, p::pong_frame(re)); },
                 [&](const p::Status& status) { on_status(conn_id, re, status); },
                 [&](const p::Create& create) { on_create(conn_id, re, create); },
                 [&](const p::ListRooms& list) { on_rooms(conn_id, re, list); },
                 [&](const p::Join& join) { on_join(conn_id, re, join); },
                 [&](const p::Leave& leave) { on_leave(conn_id, re, leave); },
                 [&](const p::Send& send) { on_send(conn_id, re, send); },
                 [&](const p::History& history) {
                   history.topic ? on_topic_history(conn_id, re, history) : on_history(conn_id, re, history);
                 },
                 [&](const p::ListTopics& list) { on_topics(conn_id, re, list); },
                 [&](const p::MarkRead& read) { on_mark_read(conn_id, re, read); },
                 [&](const p::Typing& typing) { on_typing(conn_id, re, typing); },
                 [&](const p::Export& request) { on_export(conn_id, re, request); },
                 [&](const p::SetRole& set) { on_set_role(conn_id, re, set); },
                 [&](const p::Edit& edit) { on_edit(conn_id, re, edit); },
                 [&](const p::Delete& remove) { on_delete(conn_id, re, remove); },
                 [&](const p::RemoveMessage& remove) { on_remove_message(conn_id, re, remove); },
                 [&](const p::Changes& changes) { on_changes(conn_id, re, changes); },
                 [&](const p::Search& search) { on_search(conn_id, re, search); },
                 [&](const auto&) {
                   if (facilitation::is_facilitation_frame(frame.body)) return on_facilitation(conn_id, re, frame.body);
                   on_access_frame(conn_id, re, frame.body);
                 },
             },
             frame.body);
}

// ---- session ----

void Hub::Impl::on_hello(std::uint64_t conn_id, const OptId& re, const p::Hello& hello) {
  auto* conn = connection(conn_id);
  if (conn->user) {
    fail(conn_id, re, p::ErrorCode::conflict, "hello was already said on this connection");
    return;
  }
  if (conn->authenticating) {
    fail(conn_id, re, p::ErrorCode::conflict, "hello is already being checked on this connection");
    return;
  }
  if (accounts_mode()) return on_hello_accounts(conn_id, re, hello);
  // Checking a signed token costs real CPU: done on a worker, never on the strand every room shares.
  conn->authenticating = true;
  off_strand([authenticate = authenticate_, hello] { return authenticate(hello); },
             [this, conn_id, re](Result<p::User> user) { finish_hello(conn_id, re, std::move(user)); });
}

void Hub::Impl::finish_hello(std::uint64_t conn_id, const OptId& re, Result<p::User> user,
                             std::optional<accounts::Identity> identity) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  conn->authenticating = false;
  if (!user) {
    fail(conn_id, re, user.error());
  } else {
    conn->user = user.value();
    conn->connection->greeted();
    p::Privileges privileges;
    if (identity) privileges = {identity->account.admin, identity->account.org_admin};
    conn->identity = std::move(identity);
    reply(conn_id, re, p::welcome_frame(re, *conn->user, conn->session_id, options_.node_id, now_ms(), privileges));
  }
  // The frames that came meanwhile, in order; a second hello among them is refused as usual.
  auto waiting = std::move(conn->before_welcome);
  conn->before_welcome.clear();
  for (auto& frame : waiting) {
    if (!connection(conn_id)) return;
    route(conn_id, std::move(frame));
  }
}

void Hub::Impl::on_status(std::uint64_t conn_id, const OptId& re, const p::Status& status) {
  auto* conn = connection(conn_id);
  conn->state = status.state;
  const auto user = *conn->user;
  for (const auto& room : conn->rooms) {
    if (!is_active_member(conn_id, room)) continue;
    backends_.presence.set_state(room, user.id, status.state,
                                 on_strand<bool>([this, room, user, state = status.state](Result<bool> changed) {
                                   if (changed && changed.value()) {
                                     publish_event(room, p::presence_event(room, p::PresenceEvent::update, user, state),
                                                   user.id);
                                   }
                                 }));
  }
  if (re) reply(conn_id, re, p::ok_frame(re));
}

// ---- rooms ----

void Hub::Impl::on_create(std::uint64_t conn_id, const OptId& re, const p::Create& create) {
  if (facilitation::is_breakout_room_id(create.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden,
                "room ids ending in ~<number> are reserved for the breakout groups of a session");
  }
  const auto user = *connection(conn_id)->user;
  if (user.guest) return fail(conn_id, re, p::ErrorCode::forbidden, "guests cannot create rooms");
  admit_create(conn_id, re, [this, conn_id, re, create, user] {
    p::Room room{create.room, create.title.empty() ? create.room : create.title, create.kind, user.id, now_ms(),
                 std::nullopt};
    room.org = user.org;
    room.label = options_.labels.empty() ? p::kDefaultLabel : options_.labels.front();
    ++creates_in_flight_;
    backends_.store.create_room(room, on_strand<p::Room>([this, conn_id, re, user](Result<p::Room> created) {
                                  --creates_in_flight_;
                                  if (!created) return fail(conn_id, re, created.error());
                                  if (!accounts_mode()) {
                                    announce_room(created.value());
                                    return reply(conn_id, re, p::created_frame(re, created.value()));
                                  }
                                  // The creator is the room's first member, as its owner.
                                  backends_.accounts->ensure_member(
                                      created.value(), user, p::Role::owner,
                                      on_strand<accounts::Membership>([this, conn_id, re, room = created.value()](
                                                                          Result<accounts::Membership> member) {
                                        if (!member) return fail(conn_id, re, member.error());
                                        announce_room(room);
                                        reply(conn_id, re, p::created_frame(re, room));
                                      }));
                                }));
  });
}

// One page per request, however many rooms there are: the reply's size and the work are bounded.
// In accounts mode the page leaves out what the person may not see (private rooms, and every room
// for a guest, are listed only for their members), so a page may hold fewer rooms than its limit.
void Hub::Impl::on_rooms(std::uint64_t conn_id, const OptId& re, const p::ListRooms& list) {
  const int limit = std::clamp(list.limit.value_or(options_.rooms_page_default), 1, options_.rooms_page_max);
  auto list_page = [this, conn_id, re, list, limit](std::optional<std::set<std::string>> member_of) {
    // One more than the page says whether another page follows.
    backends_.store.list_rooms_page(
        list.after.value_or(""), limit + 1,
        on_strand<std::vector<p::Room>>([this, conn_id, re, limit, member_of,
                                         archived = list.archived](Result<std::vector<p::Room>> rooms) mutable {
          if (!rooms) return fail(conn_id, re, rooms.error());
          auto* conn = connection(conn_id);
          if (!conn) return;
          auto page = std::move(rooms.value());
          std::optional<std::string> next;
          if (static_cast<int>(page.size()) > limit) {
            page.resize(static_cast<std::size_t>(limit));
            next = page.back().id;
          }
          if (member_of) {
            std::erase_if(page, [&](const p::Room& room) { return !sees(*conn->user, room, *member_of); });
          }
          if (!archived) std::erase_if(page, [](const p::Room& room) { return room.archived; });
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
        }));
  };
  if (!accounts_mode()) return list_page(std::nullopt);
  backends_.accounts->rooms_of(connection(conn_id)->user->id, on_strand<std::vector<std::string>>(
      [this, conn_id, re, list_page](Result<std::vector<std::string>> mine) {
        if (!mine) return fail(conn_id, re, mine.error());
        list_page(std::set<std::string>(mine.value().begin(), mine.value().end()));
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
    local = created.get();
    rooms_[room] = std::move(created);
    metrics_.rooms_active = static_cast<std::int64_t>(rooms_.size());
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
    metrics_.rooms_active = static_cast<std::int64_t>(rooms_.size());
  }
  for (auto& waiter : waiters) waiter(ok);
}

void Hub::Impl::on_join(std::uint64_t conn_id, const OptId& re, const p::Join& join) {
  auto* conn = connection(conn_id);
  if (conn->rooms.count(join.room)) {
    if (!is_active_member(conn_id, join.room)) {
      fail(conn_id, re, p::ErrorCode::conflict, "already joining this room");
      return;
    }
    // A repeated join refreshes the snapshot. The connection stays present (joining again with the
    // same key announces nothing); only its place among the room's members starts over.
    local_room(join.room)->members.erase(conn_id);
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
      local->members[conn_id] = Member{conn->user->id, conn->connection, false, 0, {}};
      const auto user = *conn->user;
      backends_.presence.join(join.room, conn_key(conn_id), user,
                              on_strand<bool>([this, conn_id, re, join, user](Result<bool> first) {
                                if (!connection(conn_id) || !local_room(join.room) ||
                                    !local_room(join.room)->members.count(conn_id)) {
                                  return;
                                }
                                if (!first) {
                                  abandon_join(conn_id, join.room);
                                  return fail(conn_id, re, first.error());
                                }
                                if (first.value()) {
                                  publish_event(join.room,
                                                p::presence_event(join.room, p::PresenceEvent::join, user,
                                                                  p::PresenceState::online),
                                                user.id);
                                }
                                auto* conn = connection(conn_id);
                                if (conn->state != p::PresenceState::online) {
                                  backends_.presence.set_state(join.room, user.id, conn->state, [](Result<bool>) {});
                                }
                                join_read_snapshot(conn_id, re, join);
                              }));
    });
  });
}

void Hub::Impl::join_read_snapshot(std::uint64_t conn_id, OptId re, p::Join join) {
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

void Hub::Impl::join_finish(std::uint64_t conn_id, OptId re, p::Join join, backend::Page page, bool recovered) {
  ensure_state(join.room, [this, conn_id, re, join, page = std::move(page), recovered](
                              std::optional<backend::Error> error) mutable {
    auto* conn = connection(conn_id);
    auto* local = local_room(join.room);
    if (!conn || !local || !local->members.count(conn_id)) return;
    if (error) {
      abandon_join(conn_id, join.room);
      return fail(conn_id, re, *error);
    }
    auto reply = [this, conn_id, re, join, page = std::move(page), recovered]() mutable {
      join_reply(conn_id, re, join, std::move(page), recovered);
    };
    // A first-time participant is recorded before `joined`, so its roles and the record know them.
    note_arrival(join.room, *conn->user, std::move(reply));
  });
}

void Hub::Impl::join_reply(std::uint64_t conn_id, OptId re, p::Join join, backend::Page page, bool recovered) {
  backends_.presence.list(join.room, on_strand<std::vector<p::PresenceEntry>>([this, conn_id, re, join,
                                                                              page = std::move(page), recovered](
                                                                                 Result<std::vector<p::PresenceEntry>>
                                                                                     presence) mutable {
    auto* conn = connection(conn_id);
    auto* local = local_room(join.room);
    if (!conn || !local || !local->members.count(conn_id)) return;
    if (!presence) {
      abandon_join(conn_id, join.room);
      return fail(conn_id, re, presence.error());
    }
    auto& member = local->members[conn_id];
    p::JoinedReply joined;
    joined.room = local->meta;
    joined.presence = std::move(presence.value());
    if (!recovered) trim_to_budget(page.messages, options_.max_reply_bytes, true);
    joined.messages = std::move(page.messages);
    joined.head = page.head;
    joined.recovered = recovered;
    joined.role = facilitation::role_of(local->state, local->meta, member.user_id);
    joined.session_json = facilitation::session_json(local->state, local->meta, now_ms());
    reply(conn_id, re, p::joined_frame(re, joined));
    conn->rejoining.erase(join.room);
    // Everything stored after the snapshot was emitted after this member was registered, so it is
    // in `held`: nothing missed, nothing twice.
    member.active = true;
    member.skip_through = page.head;
    auto held = std::move(member.held);
    member.held.clear();
    for (auto& event : held) {
      const bool is_message = event.kind == backend::BusEvent::Kind::message;
      if (is_message && event.seq <= member.skip_through) continue;
      conn->connection->send(event.payload);
      if (is_message) metrics_.deliveries++;
    }
  }));
}

void Hub::Impl::abandon_join(std::uint64_t conn_id, const std::string& room) {
  remove_member(conn_id, room);
}

void Hub::Impl::on_leave(std::uint64_t conn_id, const OptId& re, const p::Leave& leave) {
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
  const bool was_member = local && local->members.erase(conn_id) > 0;
  if (!was_member && !present_from_before) {
    drop_room_if_empty(room);
    return;
  }
  const auto user = *conn->user;
  write_started();  // a shutdown's drain waits until the other nodes are told (no ghost entries)
  backends_.presence.leave(room, conn_key(conn_id), user.id, on_strand<bool>([this, room, user](Result<bool> last) {
                             if (!last || !last.value()) return write_finished();
                             publish_event(room,
                                           p::presence_event(room, p::PresenceEvent::leave, user,
                                                             p::PresenceState::online),
                                           user.id, {}, on_strand<backend::Unit>([this](auto) { write_finished(); }));
                           }));
  drop_room_if_empty(room);
}

void Hub::Impl::announce_expired(const std::string& room, const p::User& user) {
  publish_event(room, p::presence_event(room, p::PresenceEvent::leave, user, p::PresenceState::online), user.id);
}

void Hub::Impl::drop_room_if_empty(const std::string& room) {
  auto* local = local_room(room);
  if (!local || !local->members.empty() || local->preparing || !local->ready_waiters.empty()) return;
  // Keep no subscription for a room with no member here.
  backends_.bus.unsubscribe(room);
  rooms_.erase(room);
  metrics_.rooms_active = static_cast<std::int64_t>(rooms_.size());
}

// ---- messages ----

void Hub::Impl::on_send(std::uint64_t conn_id, const OptId& re, const p::Send& send) {
  auto* conn = connection(conn_id);
  if (!is_active_member(conn_id, send.room)) {
    fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + send.room + "' before sending to it");
    return;
  }
  auto* local = local_room(send.room);
  if (!facilitation::may_send(local->state, local->meta, conn->user->id)) {
    fail(conn_id, re, p::ErrorCode::forbidden,
         facilitation::role_of(local->state, local->meta, conn->user->id) == p::Role::observer
             ? "observers cannot send"
             : "the room is locked: only facilitators may send");
    return;
  }
  if (draining_) {
    fail(conn_id, re, p::ErrorCode::unavailable, "the server is shutting down");
    return;
  }
  backend::AppendRequest request{send.room, *conn->user, send.topic, send.text, send.tag, send.reply_to, send.nonce,
                                 now_ms()};
  write_started();
  backends_.store.append(std::move(request),
                         on_strand<backend::AppendResult>([this, conn_id, re, room = send.room](
                                                              Result<backend::AppendResult> appended) {
                           // The answer is queued before the write counts as finished: a drain
                           // waiting for it closes the connection, and the close must come after it.
                           if (!appended) {
                             fail(conn_id, re, appended.error());
                           } else {
                             if (!appended.value().duplicate) metrics_.messages_stored++;
                             const auto& message = appended.value().message;
                             reply(conn_id, re, p::sent_frame(re, room, message.seq, message.ts));
                             if (!appended.value().duplicate) note_mentions(message);
                           }
                           write_finished();
                         }));
}

void Hub::Impl::write_finished() {
  if (--writes_in_flight_ == 0 && draining_) {
    auto waiters = std::move(drain_waiters_);
    drain_waiters_.clear();
    for (auto& waiter : waiters) waiter();
  }
}

void Hub::Impl::drain(std::function<void()> done) {
  draining_ = true;
  if (writes_in_flight_ == 0) return done();
  drain_waiters_.push_back(std::move(done));
}

void Hub::Impl::on_history(std::uint64_t conn_id, const OptId& re, const p::History& history) {
  // Called on the store's thread: the page goes to a worker, not through the strand.
  backend::Callback<backend::Page> answer = [self = shared_from_this(), conn_id, re, room = history.room,
                                             keep_newest = !history.after](Result<backend::Page> page) mutable {
    self->answer_history(conn_id, re, std::move(room), keep_newest, std::move(page));
  };
  // The room must exist and be visible: an unknown or hidden room is not_found, not an empty history.
  with_visible_room(conn_id, re, history.room, [this, history, answer](const RoomAccess&) {
    const int limit = std::clamp(history.limit, 1, options_.history_max_limit);
    with_history_slot([this, history, limit, answer] {
      if (history.before) return backends_.store.before(history.room, *history.before, limit, answer);
      if (history.after) return backends_.store.after(history.room, *history.after, limit, answer);
      backends_.store.latest(history.room, limit, answer);
    });
  });
}

void Hub::Impl::on_typing(std::uint64_t conn_id, const OptId& re, const p::Typing& typing) {
  if (!is_active_member(conn_id, typing.room)) {
    if (re) fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + typing.room + "' first");
    return;
  }
  const auto& user = *connection(conn_id)->user;
  publish_event(typing.room, p::typing_event(typing.room, user, typing.topic), user.id);
  if (re) reply(conn_id, re, p::ok_frame(re));
}

// ---- delivery ----

void Hub::Impl::publish_event(const std::string& room, std::string frame, std::string exclude_user,
                              std::vector<std::string> only_users, backend::Callback<backend::Unit> published) {
  backend::BusEvent event;
  event.kind = backend::BusEvent::Kind::event;
  event.room = room;
  event.exclude_user = std::move(exclude_user);
  event.only_users = std::move(only_users);
  event.payload = make_frame(std::move(frame));
  backends_.bus.publish(std::move(event), [room, done = std::move(published)](Result<backend::Unit> result) {
    if (!result) log::warn("event for room %s not published: %s", room.c_str(), result.error().message.c_str());
    if (done) done(std::move(result));
  });
}

void Hub::Impl::on_bus_event(backend::BusEvent event) {
  if (is_notice(event)) return on_notice(event);
  if (event.kind == backend::BusEvent::Kind::control) return on_control(event);
  auto* local = local_room(event.room);
  if (!local) return;
  switch (event.kind) {
    case backend::BusEvent::Kind::message:
      apply_sequencer(event.room, local->sequencer.on_message(event.seq, event.payload));
      break;
    case backend::BusEvent::Kind::event:
      deliver_event(*local, event);
      break;
    case backend::BusEvent::Kind::state:
      if (event.seq > local->state_version && event.payload) {
        adopt_state(*local, event.seq, facilitation::state_from_json(*event.payload));
      }
      break;
    case backend::BusEvent::Kind::control:
      break;
  }
}

void Hub::Impl::on_bus_reconnected() {
  // Pub/sub dropped whatever was published while we were away: read it from the store.
  for (auto& [name, local] : rooms_) {
    // If we were away longer than presence entries live, other nodes swept ours: put them back
    // (joining again with the same key is a no-op otherwise) and announce whoever was missing.
    for (const auto& [conn_id, member] : local->members) {
      auto* conn = connection(conn_id);
      if (!member.active || !conn) continue;
      backends_.presence.join(name, conn_key(conn_id), *conn->user,
                              on_strand<bool>([this, room = name, user = *conn->user](Result<bool> first) {
                                if (first && first.value()) {
                                  publish_event(room, p::presence_event(room, p::PresenceEvent::join, user,
                                                                        p::PresenceState::online),
                                                user.id);
                                }
                              }));
    }
    if (local->ready) apply_sequencer(name, local->sequencer.resync());
    // The facilitation state may have moved on too.
    local->state_version = -1;
    ensure_state(name, [](std::optional<backend::Error>) {});
  }
}

void Hub::Impl::apply_sequencer(const std::string& room, RoomSequencer::Actions actions) {
  auto* local = local_room(room);
  if (!local) return;
  for (auto& [seq, frame] : actions.emit) emit_message(*local, seq, frame);
  if (actions.fetch) fetch_missing(room, *actions.fetch);
}

void Hub::Impl::fetch_missing(const std::string& room, RoomSequencer::Fetch fetch) {
  metrics_.bus_gaps_filled++;
  backends_.store.after(room, fetch.after, fetch.limit,
                        on_strand<backend::Page>([this, room, limit = fetch.limit](Result<backend::Page> page) {
                          auto* local = local_room(room);
                          if (!local) return;
                          if (!page) {
                            log::warn("filling room %s from the store failed: %s", room.c_str(),
                                      page.error().message.c_str());
                            local->sequencer.on_fetch_failed();
                            retry_fetch_later(*local);
                            return;
                          }
                          local->fetch_failures = 0;
                          std::vector<std::pair<std::int64_t, Frame>> fetched;
                          for (const auto& message : page.value().messages) {
                            fetched.emplace_back(message.seq, make_frame(p::message_event(message)));
                          }
                          apply_sequencer(room, local->sequencer.on_fetched(std::move(fetched), limit));
                        }));
}

// A quiet room gets no next message to set it going again: a timer does.
void Hub::Impl::retry_fetch_later(LocalRoom& room) {
  const auto delay = std::min(options_.gap_retry_max, options_.gap_retry_initial * (1 << std::min(room.fetch_failures, 16)));
  room.fetch_failures++;
  if (!room.fetch_retry) room.fetch_retry = std::make_unique<asio::steady_timer>(strand_);
  room.fetch_retry->expires_after(delay);
  room.fetch_retry->async_wait([self = shared_from_this(), name = room.meta.id](boost::system::error_code error) {
    if (error) return;
    if (auto* local = self->local_room(name)) self->apply_sequencer(name, local->sequencer.retry());
  });
}

void Hub::Impl::emit_message(LocalRoom& room, std::int64_t seq, const Frame& frame) {
  std::int64_t delivered = 0;
  for (auto& [conn_id, member] : room.members) {
    if (!member.active) {
      backend::BusEvent held;
      held.kind = backend::BusEvent::Kind::message;
      held.room = room.meta.id;
      held.seq = seq;
      held.payload = frame;
      member.held.push_back(std::move(held));
      continue;
    }
    if (seq <= member.skip_through) continue;
    member.connection->send(frame);
    ++delivered;
  }
  metrics_.deliveries += delivered;
}

void Hub::Impl::deliver_event(LocalRoom& room, const backend::BusEvent& event) {
  for (auto& [conn_id, member] : room.members) {
    if (!event.exclude_user.empty() && member.user_id == event.exclude_user) continue;
    if (!event.only_users.empty() &&
        std::find(event.only_users.begin(), event.only_users.end(), member.user_id) == event.only_users.end()) {
      continue;
    }
    if (!member.active) {
      member.held.push_back(event);
      continue;
    }
    member.connection->send(event.payload);
  }
}

}  // namespace outloud::core
