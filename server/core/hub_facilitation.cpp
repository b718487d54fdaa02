// The hub's side of facilitated sessions: the room's state is loaded, changed by the pure engine,
// saved with compare-and-set (so concurrent nodes cannot overwrite each other), announced on the bus,
// and its timer fired by whichever node wins the compare-and-set.
#include <openssl/rand.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

namespace {

constexpr int kMaxStateAttempts = 8;

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed);
  return seed;
}

// Puts `"re":<id>` first into a reply serialized without it.
std::string with_re(const p::ReplyTo& re, const std::string& json) {
  if (!re || json.size() < 2 || json.front() != '{') return json;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  std::visit([&](const auto& id) {
    if constexpr (std::is_same_v<std::decay_t<decltype(id)>, std::string>) {
      writer.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
    } else {
      writer.Int64(id);
    }
  }, *re);
  std::string out = "{\"re\":";
  out += buffer.GetString();
  if (json.size() > 2) out += ',';
  out.append(json, 1, std::string::npos);
  return out;
}

}  // namespace

void Hub::Impl::ensure_state(const std::string& room, std::function<void(std::optional<backend::Error>)> next) {
  auto* local = local_room(room);
  if (!local) return next(backend::unavailable("room closed on this node"));
  if (local->session_version >= 0) return next(std::nullopt);
  backends_.store.load_state(room, on_strand<backend::RoomState>([this, room, next](Result<backend::RoomState> loaded) {
    auto* local = local_room(room);
    if (!local) return next(backend::unavailable("room closed on this node"));
    if (!loaded) return next(loaded.error());
    if (loaded.value().version > local->session_version) {
      adopt_state(*local, loaded.value().version, facilitation::state_from_json(loaded.value().json));
    }
    next(std::nullopt);
  }));
}

void Hub::Impl::adopt_state(LocalRoom& room, std::int64_t version, facilitation::SessionState state) {
  room.session_version = version;
  room.session = std::move(state);
  schedule_timer(room);
}

facilitation::Context Hub::Impl::session_context(const p::Room& meta, std::vector<p::PresenceEntry> present,
                                                 std::uint64_t seed) const {
  return facilitation::Context{meta, now_ms(), std::move(present), seed, options_.facilitation};
}

// One timer per room for whatever is due first: the session timer, the groups' warning or close.
void Hub::Impl::schedule_timer(LocalRoom& room) {
  const auto deadline = facilitation::next_deadline(room.session);
  if (!deadline) {
    if (room.timer) room.timer->cancel();
    room.timer_deadline = 0;
    return;
  }
  if (room.timer && room.timer_deadline == *deadline) return;
  if (!room.timer) room.timer = std::make_unique<asio::steady_timer>(strand_);
  room.timer_deadline = *deadline;
  room.timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *deadline - now_ms())));
  room.timer->async_wait([self = shared_from_this(), name = room.meta.id](boost::system::error_code error) {
    if (!error) self->fire_timer(name);
  });
}

void Hub::Impl::lower_hand_of_leaver(const std::string& room, const std::string& user_id) {
  if (draining_) return;  // a restart is not a leave: the queue stays as it was
  transact(
      room,
      [this, user_id](const facilitation::SessionState& state, const p::Room& meta,
                      const std::vector<p::PresenceEntry>& present) {
        return facilitation::lower_hand_of_leaver(state, session_context(meta, present), user_id);
      },
      true,
      [this, room](Result<facilitation::Outcome> outcome) {
        if (!outcome) {
          log::warn("raised hand of a leaver in room %s: %s", room.c_str(), outcome.error().message.c_str());
          return;
        }
        if (outcome.value().changed) carry_out(room, p::User{}, std::move(outcome.value()), [] {});
      });
}

void Hub::Impl::fire_timer(const std::string& room) {
  if (auto* local = local_room(room)) local->timer_deadline = 0;
  transact(
      room,
      [this](const facilitation::SessionState& state, const p::Room& meta, const std::vector<p::PresenceEntry>&) {
        return facilitation::expire_due(state, session_context(meta));
      },
      false,
      [this, room](Result<facilitation::Outcome> outcome) {
        // Only the node whose compare-and-set wins sees `changed` and announces `done`, the warning
        // or the close. Whatever else is due is scheduled when the new state is adopted.
        if (!outcome) {
          log::warn("timer of room %s: %s", room.c_str(), outcome.error().message.c_str());
          // Try again shortly: the time is up and somebody must say so.
          if (auto* local = local_room(room)) {
            local->timer_deadline = 0;
            local->timer.reset();
            local->session_version = -1;
            ensure_state(room, [](std::optional<backend::Error>) {});
          }
          return;
        }
        if (outcome.value().changed) carry_out(room, p::User{}, std::move(outcome.value()), [] {});
      });
}

void Hub::Impl::transact(const std::string& room, Transition transition, bool needs_presence,
                         std::function<void(Result<facilitation::Outcome>)> done) {
  auto run = [this, room, transition = std::move(transition), needs_presence, done = std::move(done)]() mutable {
    transact_now(room, std::move(transition), needs_presence,
                 [this, room, done = std::move(done)](Result<facilitation::Outcome> outcome) {
                   done(std::move(outcome));
                   next_transaction(room);
                 },
                 0);
  };
  auto [queue, idle] = state_queues_.try_emplace(room);
  if (!idle) return queue->second.push_back(std::move(run));
  run();
}

// The room's transaction is done: the next waiting one runs (posted, so a long queue of quick
// refusals does not nest on the stack), or the room is idle again.
void Hub::Impl::next_transaction(const std::string& room) {
  auto queue = state_queues_.find(room);
  if (queue == state_queues_.end()) return;
  if (queue->second.empty()) {
    state_queues_.erase(queue);
    return;
  }
  auto next = std::move(queue->second.front());
  queue->second.pop_front();
  asio::post(strand_, [self = shared_from_this(), next = std::move(next)] { next(); });
}

void Hub::Impl::transact_now(const std::string& room, Transition transition, bool needs_presence,
                             std::function<void(Result<facilitation::Outcome>)> done, int attempt) {
  if (attempt >= kMaxStateAttempts) {
    return done(backend::Error{p::ErrorCode::conflict, "the session changed too often meanwhile; try again"});
  }
  auto with_state = [this, room, transition, needs_presence, done, attempt](bool cached, std::int64_t version, p::Room meta,
                                                                           facilitation::SessionState state) {
    auto decide = [this, room, transition, done, attempt, cached, version, meta, state, needs_presence](
                      std::vector<p::PresenceEntry> present) {
      auto outcome = transition(state, meta, present);
      if ((outcome.error || !outcome.changed) && cached) {
        // The cache may not have heard of a change made on another node yet (a participant who
        // just joined there): decide refusals and no-ops on the stored state only.
        if (auto* local = local_room(room)) local->session_version = -1;
        return transact_now(room, transition, needs_presence, done, attempt + 1);
      }
      if (outcome.error || !outcome.changed) return done(std::move(outcome));
      auto json = facilitation::state_to_json(outcome.state);
      backends_.store.save_state(
          room, version, json,
          on_strand<bool>([this, room, transition, needs_presence, done, attempt, version, json,
                           outcome = std::move(outcome)](Result<bool> saved) mutable {
            if (!saved) return done(saved.error());
            if (!saved.value()) {
              // Somebody else (another node, another command) saved first: redo on their state.
              if (auto* local = local_room(room)) local->session_version = -1;
              return transact_now(room, transition, needs_presence, done, attempt + 1);
            }
            if (auto* local = local_room(room); local && version + 1 > local->session_version) {
              adopt_state(*local, version + 1, outcome.state);
            }
            backend::BusEvent event;
            event.kind = backend::BusEvent::Kind::state;
            event.room = room;
            event.version = version + 1;
            event.payload = make_frame(std::move(json));
            backends_.bus.publish(std::move(event), [](Result<backend::Unit>) {});
            done(std::move(outcome));
          }));
    };
    if (!needs_presence) return decide({});
    backends_.presence.list(room, on_strand<std::vector<p::PresenceEntry>>(
                                      [decide, done](Result<std::vector<p::PresenceEntry>> present) {
                                        if (!present) return done(present.error());
                                        decide(std::move(present.value()));
                                      }));
  };
  // The cached state is tried first; compare-and-set catches it being stale.
  auto* local = local_room(room);
  if (local && local->session_version >= 0 && !local->meta.id.empty()) {
    return with_state(true, local->session_version, local->meta, local->session);
  }
  backends_.store.get_room(room, on_strand<std::optional<p::Room>>([this, room, with_state, done](
                                                                     Result<std::optional<p::Room>> found) {
    if (!found) return done(found.error());
    if (!found.value()) return done(backend::Error{p::ErrorCode::not_found, "no room '" + room + "'"});
    backends_.store.load_state(room, on_strand<backend::RoomState>([with_state, done, meta = *found.value()](
                                                                     Result<backend::RoomState> loaded) {
      if (!loaded) return done(loaded.error());
      with_state(false, loaded.value().version, meta, facilitation::state_from_json(loaded.value().json));
    }));
  }));
}

void Hub::Impl::carry_out(const std::string& room, const p::User& actor, facilitation::Outcome outcome,
                          std::function<void()> done) {
  note_breakout_rooms(room, outcome);
  // Group rooms first, so that nobody is told to join a room that does not exist yet.
  auto remaining = std::make_shared<std::size_t>(outcome.rooms_to_create.size() + 1);
  auto shared = std::make_shared<facilitation::Outcome>(std::move(outcome));
  auto after_roles = [this, room, actor, shared, done] {
    for (auto& event : shared->events) publish_event(room, std::move(event.payload), {}, std::move(event.only_users));
    for (auto& [target, frame] : shared->room_events) publish_event(target, std::move(frame));
    auto posts = std::make_shared<std::size_t>(shared->posts.size() + 1);
    auto after_post = [posts, done] {
      if (--*posts == 0) done();
    };
    for (auto& [target, text] : shared->posts) append_as(actor, target, std::move(text), after_post);
    after_post();
  };
  // The groups' roles are set before anyone is told to go there.
  auto after_rooms = [this, room, shared, remaining, after_roles] {
    if (--*remaining > 0) return;
    if (shared->rooms_to_create.empty()) return after_roles();
    std::vector<std::string> groups;
    for (const auto& group : shared->rooms_to_create) groups.push_back(group.id);
    sync_group_roles(room, std::move(groups), after_roles);
  };
  const auto* parent = local_room(room);
  const std::optional<p::Room> session = parent ? std::optional<p::Room>(parent->meta) : std::nullopt;
  for (auto group : shared->rooms_to_create) {
    // A breakout group is behind the same walls as its room, under the same label.
    if (session) follow_session(group, *session);
    backends_.store.create_room(group, on_strand<p::Room>([this, after_rooms, session, id = group.id](Result<p::Room> created) {
                                  // A conflict is the group room of an earlier breakout of this session:
                                  // nobody else can make `<room>~<n>` (see on_create). It takes the
                                  // session's settings as they are now, then is listed again.
                                  if (!created && created.error().code == p::ErrorCode::conflict && session) {
                                    return align_group(id, *session, [this, after_rooms, id] {
                                      set_archived(id, false);
                                      after_rooms();
                                    });
                                  }
                                  set_archived(id, false);  // listed under its session
                                  if (!created && created.error().code != p::ErrorCode::conflict) {
                                    log::warn("breakout room %s not created: %s", id.c_str(),
                                              created.error().message.c_str());
                                  }
                                  after_rooms();
                                }));
  }
  after_rooms();
}

// The session's facilitators lead its groups too. Each group's state is changed like any other
// (compare-and-set), after the session's own change was saved.
void Hub::Impl::sync_group_roles(const std::string& session, std::vector<std::string> groups,
                                 std::function<void()> done) {
  auto* local = local_room(session);
  if (!local || groups.empty()) return done();
  const auto session_state = local->session;
  const auto session_meta = local->meta;
  auto remaining = std::make_shared<std::size_t>(groups.size());
  for (auto& group : groups) {
    // The group room may still be being created: wait for it to exist.
    transact(
        group,
        [session_state, session_meta](const facilitation::SessionState& state, const p::Room& meta,
                                      const std::vector<p::PresenceEntry>&) {
          return facilitation::inherit_roles(state, meta, session_state, session_meta);
        },
        false,
        [group, remaining, done](Result<facilitation::Outcome> synced) {
          if (!synced) log::warn("roles of breakout group %s not set: %s", group.c_str(), synced.error().message.c_str());
          if (--*remaining == 0) done();
        });
  }
}

void Hub::Impl::append_as(const p::User& actor, const std::string& room, std::string text, std::function<void()> done) {
  backend::AppendRequest request;
  request.room = room;
  request.from = actor;
  request.text = std::move(text);
  request.ts = now_ms();
  write_started();
  backends_.store.append(std::move(request),
                         on_strand<backend::AppendResult>([this, room, done](Result<backend::AppendResult> appended) {
                           if (!appended) {
                             log::warn("post into %s failed: %s", room.c_str(), appended.error().message.c_str());
                           } else {
                             metrics_.messages_stored++;
                           }
                           done();  // may answer the facilitator: before the drain may close
                           write_finished();
                         }));
}

void Hub::Impl::on_facilitation(std::uint64_t conn_id, const Request& re, const p::ClientBody& body) {
  const std::string* room = p::room_of(body);
  if (!room) return fail(conn_id, re, p::ErrorCode::bad_request, "frame without a room");
  if (!is_active_member(conn_id, *room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + *room + "' first");
  }
  const auto actor = *connection(conn_id)->user;
  const bool needs_presence = std::holds_alternative<p::BreakoutOpen>(body);
  const auto seed = random_seed();
  transact(
      *room,
      [this, actor, body, seed](const facilitation::SessionState& state, const p::Room& meta,
                          const std::vector<p::PresenceEntry>& present) {
        return facilitation::apply(state, session_context(meta, present, seed), actor, body);
      },
      needs_presence,
      [this, conn_id, re, room = *room, actor, body](Result<facilitation::Outcome> outcome) {
        if (!outcome) return fail(conn_id, re, outcome.error());
        if (outcome.value().error) {
          return fail(conn_id, re, *outcome.value().error, outcome.value().error_message);
        }
        auto custom = outcome.value().reply_json;
        const bool roles_changed = std::holds_alternative<p::SetRole>(body) && outcome.value().changed;
        if (roles_changed && !outcome.value().state.breakouts.rooms.empty()) {
          sync_group_roles(room, outcome.value().state.breakouts.rooms, [] {});
        }
        carry_out(room, actor, std::move(outcome.value()), [this, conn_id, re, custom] {
          reply(conn_id, re, custom ? with_re(re, *custom) : p::ok_frame(re));
        });
      });
}

}  // namespace outloud::core
