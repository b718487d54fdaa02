// The hub's side of access.md: signing in by session token, who may see which room, the frames of
// organisations, people, invitations, members and the audit log, sign-out closing sockets on every
// node, and retention. The decisions about accounts are the accounts service's; the hub adds what
// only it knows (rooms, roles in them, connections).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

namespace {

// Sign-outs travel on this bus channel; room ids are slugs, so it can never be a room's.
constexpr const char* kSessionsChannel = "!sessions";
// Close code for a socket whose session ended (sign-out or revocation): application range.
constexpr std::uint16_t kSessionEndedCode = 4001;
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

bool leads(p::Role role) { return role == p::Role::owner || role == p::Role::facilitator; }

std::string control_json(const char* key, const std::string& value) {
  rapidjson::Document d(rapidjson::kObjectType);
  d.AddMember(rapidjson::StringRef(key), rapidjson::Value(value.c_str(), d.GetAllocator()), d.GetAllocator());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  d.Accept(writer);
  return buffer.GetString();
}

p::MemberInfo member_info(const accounts::MemberView& view, const p::Room& room) {
  p::MemberInfo info{view.user, view.membership.role, view.sponsor, view.membership.reason, view.membership.since};
  if (view.user.id == room.created_by) info.role = p::Role::owner;
  return info;
}

p::InvitationInfo invitation_info(const accounts::Invitation& i) {
  return p::InvitationInfo{i.id, std::nullopt, std::nullopt, i.org, i.room, i.role, i.guest,
                           i.uses_left, i.expires_at, i.created_by, i.created_at};
}

// The facilitation `role` command, also for `member`: someone added to the room (a membership) who
// has not joined it yet, whom the engine does not know as a participant. The engine's own rules and
// events apply (the owner's role is neither given nor taken, only leaders give roles, an observer
// leaves the queue and the floor); the participants stay those who joined, for the record.
facilitation::Outcome give_role(const facilitation::SessionState& state, const facilitation::Context& context,
                                const p::User& actor, const p::SetRole& set, const std::optional<p::User>& member) {
  const auto known = [&set](const p::User& user) { return user.id == set.user; };
  const bool participant = std::any_of(state.participants.begin(), state.participants.end(), known) ||
                           std::any_of(context.present.begin(), context.present.end(),
                                       [&set](const p::PresenceEntry& entry) { return entry.user.id == set.user; });
  if (participant || !member || member->id != set.user) return facilitation::apply(state, context, actor, p::ClientBody(set));
  auto with_member = state;
  with_member.participants.push_back(*member);
  auto outcome = facilitation::apply(with_member, context, actor, p::ClientBody(set));
  if (outcome.error || !outcome.changed) {
    outcome.state = state;
    return outcome;
  }
  std::erase_if(outcome.state.participants, known);
  return outcome;
}

}  // namespace

// ---- start, sign-in, sign-out ----

// Without this channel, sign-outs on other nodes would not close sockets here.
void Hub::Impl::subscribe_sign_outs() { subscribe_own_channel(kSessionsChannel, "sign-outs from other nodes"); }

void Hub::Impl::start() {
  backends_.accounts->on_session_ended([self = shared_from_this()](const accounts::Session& session) {
    asio::post(self->strand_, [self, id = session.id] { self->publish_control(kSessionsChannel, control_json("session_ended", id)); });
  });
  schedule_retention();
  align_breakout_rooms();
}

void Hub::Impl::keep_sessions_in_use() {
  if (sessions_in_use_armed_) return;
  if (!sessions_in_use_timer_) sessions_in_use_timer_ = std::make_unique<asio::steady_timer>(strand_);
  sessions_in_use_armed_ = true;
  // Half the interval: a connection is noted between one and one and a half intervals after the last.
  sessions_in_use_timer_->expires_after(std::max<std::chrono::milliseconds>(
      backends_.accounts->session_touch_interval() / 2, std::chrono::milliseconds(50)));
  sessions_in_use_timer_->async_wait([weak = weak_from_this()](boost::system::error_code error) {
    auto self = weak.lock();
    if (!self || error) return;
    self->sessions_in_use_armed_ = false;
    self->note_sessions_in_use();
  });
}

void Hub::Impl::note_sessions_in_use() {
  const auto interval = backends_.accounts->session_touch_interval().count();
  const auto now = now_ms();
  std::set<std::string> noted;  // a session open on several connections is written once
  bool any = false;
  for (auto& [id, conn] : connections_) {
    if (!conn.identity) continue;
    any = true;
    auto& session = conn.identity->session;
    if (now - session.last_used < interval) continue;
    session.last_used = now;
    if (noted.insert(session.id).second) backends_.accounts->note_connected(session);
  }
  if (any) keep_sessions_in_use();
}

void Hub::Impl::on_hello_accounts(std::uint64_t conn_id, const Request& re, const p::Hello& hello) {
  auto* conn = connection(conn_id);
  std::optional<std::string> token = hello.token;
  if (!token && !hello.name) token = conn->connection->upgrade_token();
  if (!token) {
    return fail(conn_id, re, p::ErrorCode::unauthenticated,
                "this server uses accounts: sign in, then say hello with your token or the session cookie");
  }
  // Frames that come meanwhile wait for the answer (see handle and finish_hello).
  conn->authenticating = true;
  backends_.accounts->authenticate(*token, conn->connection->client(), on_strand<accounts::Identity>([this, conn_id, re](
                                                                             Result<accounts::Identity> who) {
    if (!who) return finish_hello(conn_id, re, who.error());
    auto user = who.value().account.user;
    finish_hello(conn_id, re, std::move(user), std::move(who.value()));
  }));
}

void Hub::Impl::publish_control(const std::string& room, std::string json) {
  backend::BusEvent event;
  event.kind = backend::BusEvent::Kind::control;
  event.room = room;
  event.payload = make_frame(std::move(json));
  backends_.bus.publish(std::move(event), [room](Result<backend::Unit> published) {
    if (!published) log::warn("control for %s not published: %s", room.c_str(), published.error().message.c_str());
  });
}

void Hub::Impl::on_control(const backend::BusEvent& event) {
  if (!event.payload) return;
  rapidjson::Document d;
  d.Parse(event.payload->data(), event.payload->size());
  if (d.HasParseError() || !d.IsObject()) return;
  auto text = [&d](const char* key) -> std::optional<std::string> {
    auto it = d.FindMember(key);
    if (it == d.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  if (auto session = text("session_ended")) return close_session(*session);
  if (auto user = text("evict")) return evict(event.room, *user);
  if (text("refresh")) {
    // The room's settings changed: this node's copy is read again.
    backends_.store.get_room(event.room, on_strand<std::optional<p::Room>>([this, room = event.room](
                                                                             Result<std::optional<p::Room>> found) {
      auto* local = local_room(room);
      if (local && found && found.value()) local->meta = *found.value();
    }));
  }
}

void Hub::Impl::close_session(const std::string& session_id) {
  for (auto& [id, conn] : connections_) {
    if (conn.identity && conn.identity->session.id == session_id) {
      conn.connection->close(kSessionEndedCode, "signed out");
    }
  }
}

void Hub::Impl::evict(const std::string& room, const std::string& user) {
  // Whoever leaves a session leaves its breakout groups held here too (they are behind its walls),
  // even if the groups' own evictions never reach this node.
  std::vector<std::string> from{room};
  for (const auto& [id, local] : rooms_) {
    if (is_group_of(local->meta, room)) from.push_back(id);
  }
  for (const auto& each : from) {
    auto* local = local_room(each);
    if (!local) continue;
    std::vector<std::uint64_t> gone;
    for (const auto& [conn_id, member] : local->members.members()) {
      if (member.user_id == user) gone.push_back(conn_id);
    }
    for (auto conn_id : gone) remove_member(conn_id, each);  // may drop the local room
  }
}

void Hub::Impl::evict_from_groups(const std::string& session, const std::string& user, std::function<void()> done) {
  backends_.store.load_state(session, on_strand<backend::RoomState>([this, session, user, done](
                                                                      Result<backend::RoomState> loaded) {
    if (!loaded) {
      log::warn("groups of %s not read for a removal: %s", session.c_str(), loaded.error().message.c_str());
      return done();
    }
    // Every group the session ever had: a later breakout reuses them, so all are behind its walls.
    for (const auto& group : facilitation::state_from_json(loaded.value().json).breakouts.rooms) {
      evict(group, user);  // here at once, so a frame after the answer finds them gone
      publish_control(group, control_json("evict", user));
    }
    done();
  }));
}

bool Hub::Impl::follow_session(p::Room& group, const p::Room& session) {
  const bool changed = group.org != session.org || group.visibility != session.visibility ||
                       group.label != session.label || group.retention_days != session.retention_days;
  group.org = session.org;
  group.visibility = session.visibility;
  group.label = session.label;
  group.retention_days = session.retention_days;
  // Never whoever opened the groups (groups stored before this named them): not a stored setting,
  // so no change on its own.
  group.created_by = session.created_by;
  return changed;
}

void Hub::Impl::align_group(const std::string& group, const p::Room& session, std::function<void()> done) {
  backends_.store.get_room(group, on_strand<std::optional<p::Room>>([this, session, done](
                                                                      Result<std::optional<p::Room>> found) {
    if (!found || !found.value()) return done();
    auto meta = *found.value();
    if (!is_group_of(meta, session.id)) return done();
    const bool became_private = meta.visibility == p::Visibility::open && session.visibility == p::Visibility::private_;
    if (!follow_session(meta, session)) return done();
    backends_.store.update_room(meta, on_strand<p::Room>([this, became_private, session, done](Result<p::Room> updated) {
      if (!updated) {
        log::warn("a breakout group of %s does not follow it: %s", session.id.c_str(), updated.error().message.c_str());
        return done();
      }
      auto room = updated.value();
      follow_session(room, session);
      if (auto* local = local_room(room.id)) local->meta = room;
      publish_control(room.id, control_json("refresh", "1"));
      publish_event(room.id, p::room_event(room));
      announce_room(room, became_private);
      if (room.retention_days) apply_retention(room);
      done();
    }));
  }));
}

void Hub::Impl::align_groups_of(const p::Room& session, std::function<void()> done) {
  backends_.store.load_state(session.id, on_strand<backend::RoomState>([this, session, done](
                                                                         Result<backend::RoomState> loaded) {
    if (!loaded) {
      log::warn("groups of %s not read: %s", session.id.c_str(), loaded.error().message.c_str());
      return done();
    }
    const auto groups = facilitation::state_from_json(loaded.value().json).breakouts.rooms;
    if (groups.empty()) return done();
    auto remaining = std::make_shared<std::size_t>(groups.size());
    for (const auto& group : groups) {
      align_group(group, session, [remaining, done] {
        if (--*remaining == 0) done();
      });
    }
  }));
}

void Hub::Impl::align_breakout_rooms(std::string after) {
  // A page of rooms at a time, the next page once this one's groups are done: bounded work.
  constexpr int kAlignPage = 500;
  backends_.store.list_rooms_page(after, kAlignPage, on_strand<std::vector<p::Room>>([this](
                                                                                  Result<std::vector<p::Room>> rooms) {
    if (!rooms) return log::warn("breakout groups not aligned with their sessions: %s", rooms.error().message.c_str());
    if (rooms.value().empty()) return;
    const bool more = static_cast<int>(rooms.value().size()) == kAlignPage;
    auto remaining = std::make_shared<std::size_t>(1);
    auto next_page = [this, remaining, more, last = rooms.value().back().id] {
      if (--*remaining == 0 && more) align_breakout_rooms(last);
    };
    for (const auto& room : rooms.value()) {
      if (!is_group(room)) continue;
      ++*remaining;
      backends_.store.get_room(*room.parent, on_strand<std::optional<p::Room>>(
          [this, group = room.id, next_page](Result<std::optional<p::Room>> session) {
            if (!session || !session.value()) return next_page();
            align_group(group, *session.value(), next_page);
          }));
    }
    next_page();
  }));
}

// ---- who sees what ----

bool Hub::Impl::sees(const p::User& user, const p::Room& room, const std::set<std::string>& member_of) const {
  if (!accounts_mode()) return true;
  // A breakout group has no creator of its own to let in: its session's membership decides (the
  // session's owner is a member of it), not whoever opened the groups.
  if (!is_group(room) && room.created_by == user.id) return true;
  if (member_of.count(access_room_id(room))) return true;
  return !user.guest && room.visibility == p::Visibility::open;
}

void Hub::Impl::room_access(const p::User& user, const std::string& room, AccessNext next) {
  backends_.store.get_room(room, on_strand<std::optional<p::Room>>([this, user, room, next](
                                                                     Result<std::optional<p::Room>> found) {
    if (!found) return next(found.error());
    if (!found.value() && accounts_mode()) {
      // The same store work as for a room that exists: a private room the person is not in must not
      // answer `not_found` measurably later than a room that does not exist.
      return backends_.accounts->membership(room, user.id, on_strand<std::optional<accounts::Membership>>(
          [next](Result<std::optional<accounts::Membership>>) { next(std::optional<RoomAccess>()); }));
    }
    if (!found.value()) return next(std::optional<RoomAccess>());
    RoomAccess access{*found.value(), true, std::nullopt};
    auto decide = [this, user, next](RoomAccess access) {
      if (!accounts_mode()) return next(std::optional<RoomAccess>(std::move(access)));
      const auto id = access_room_id(access.room);
      backends_.accounts->membership(id, user.id, on_strand<std::optional<accounts::Membership>>(
          [this, user, next, access = std::move(access)](Result<std::optional<accounts::Membership>> member) mutable {
            if (!member) return next(member.error());
            access.membership = member.value();
            std::set<std::string> member_of;
            if (access.membership) member_of.insert(access_room_id(access.room));
            access.visible = sees(user, access.room, member_of);
            next(std::optional<RoomAccess>(std::move(access)));
          }));
    };
    if (!is_group(access.room)) return decide(std::move(access));
    // A breakout group is judged by its session's settings, never by its own copy of them (which
    // may lag behind a change of the session's).
    const std::string session_id = *access.room.parent;  // read before the callback takes `access`
    backends_.store.get_room(session_id, on_strand<std::optional<p::Room>>(
        [this, next, decide, access = std::move(access)](Result<std::optional<p::Room>> session) mutable {
          if (!session) return next(session.error());
          if (!session.value()) {
            access.visible = !accounts_mode();  // a group without its session: behind closed walls
            return next(std::optional<RoomAccess>(std::move(access)));
          }
          follow_session(access.room, *session.value());
          decide(std::move(access));
        }));
  }));
}

void Hub::Impl::hidden_rooms(const p::User& user, std::set<std::string> rooms,
                             std::function<void(std::set<std::string>)> done) {
  if (rooms.empty()) return done({});
  struct Count {
    std::size_t waiting;
    std::set<std::string> hidden;
    std::function<void(std::set<std::string>)> done;
  };
  auto count = std::make_shared<Count>(Count{rooms.size(), {}, std::move(done)});
  for (const auto& room : rooms) {
    room_access(user, room, [count, room](const Result<std::optional<RoomAccess>>& found) {
      if (!found || !found.value() || !found.value()->visible) count->hidden.insert(room);
      if (--count->waiting == 0) count->done(std::move(count->hidden));
    });
  }
}

// An organisation's administrators may see and revoke its invitations, but one into a private room
// they are not in is left out: it would name the room (access.md: seen only by its members).
void Hub::Impl::on_invitations(std::uint64_t conn_id, const Request& re, const accounts::Identity& who) {
  backends_.accounts->invitations(who, on_strand<std::vector<accounts::Invitation>>(
      [this, conn_id, re, who](Result<std::vector<accounts::Invitation>> list) {
        if (!list) return fail(conn_id, re, list.error());
        std::set<std::string> to_check;
        for (const auto& i : list.value()) {
          if (i.room && !who.account.admin && i.created_by != who.account.user.id) to_check.insert(*i.room);
        }
        hidden_rooms(who.account.user, std::move(to_check),
                     [this, conn_id, re, list = std::move(list.value())](const std::set<std::string>& hidden) {
                       std::vector<p::InvitationInfo> infos;
                       for (const auto& i : list) {
                         if (!i.room || !hidden.count(*i.room)) infos.push_back(invitation_info(i));
                       }
                       reply(conn_id, re, p::invitations_frame(re, infos));
                     });
      }));
}

void Hub::Impl::with_visible_room(std::uint64_t conn_id, const Request& re, const std::string& room,
                                  std::function<void(RoomAccess)> next) {
  auto* conn = connection(conn_id);
  room_access(*conn->user, room, [this, conn_id, re, room, next](Result<std::optional<RoomAccess>> found) {
    if (!connection(conn_id)) return;
    if (!found) return fail(conn_id, re, found.error());
    if (!found.value() || !found.value()->visible) {
      return fail(conn_id, re, p::ErrorCode::not_found, "no room '" + room + "'");
    }
    next(std::move(*found.value()));
  });
}

void Hub::Impl::role_in(const p::Room& room, const std::string& user, std::function<void(Result<p::Role>)> next) {
  if (room.created_by == user) return next(p::Role::owner);
  backends_.store.load_state(room.id, on_strand<backend::RoomState>([room, user, next](Result<backend::RoomState> loaded) {
    if (!loaded) return next(loaded.error());
    next(facilitation::role_of(facilitation::state_from_json(loaded.value().json), room, user));
  }));
}

// ---- frames ----

void Hub::Impl::on_access_frame(std::uint64_t conn_id, const Request& re, const p::ClientBody& body) {
  if (auto* settings = std::get_if<p::RoomSettings>(&body)) return on_room_settings(conn_id, re, *settings);
  if (!accounts_mode()) {
    return fail(conn_id, re, p::ErrorCode::bad_request, "this server does not run with --auth accounts");
  }
  const accounts::Identity who = *connection(conn_id)->identity;
  // Answers with the service's result, serialized by `to_frame`.
  auto answer = [this, conn_id, re](auto to_frame) {
    return [this, conn_id, re, to_frame](auto result) {
      if (!result) return fail(conn_id, re, result.error());
      reply(conn_id, re, to_frame(result.value()));
    };
  };
  auto& service = *backends_.accounts;
  std::visit(
      overloaded{
          [&](const p::ListOrgs&) {
            service.orgs(who, on_strand<std::vector<p::Org>>(answer([re](const std::vector<p::Org>& orgs) {
              return p::orgs_frame(re, orgs);
            })));
          },
          [&](const p::PutOrg& put) {
            service.put_org(who, put.org, on_strand<p::Org>(answer([re](const p::Org& org) { return p::org_frame(re, org); })));
          },
          [&](const p::SetOrgAdmin& set) {
            service.set_org_admin(who, set.user, set.admin,
                                  on_strand<accounts::Account>(answer([re](const accounts::Account&) { return p::ok_frame(re); })));
          },
          [&](const p::People& people) {
            service.people(who, people.query, on_strand<std::vector<p::Person>>(answer([re](const std::vector<p::Person>& found) {
              return p::people_frame(re, found);
            })));
          },
          [&](const p::Invite& invite) { on_invite(conn_id, re, invite); },
          [&](const p::ListInvitations&) { on_invitations(conn_id, re, who); },
          [&](const p::RevokeInvitation& revoke) {
            service.revoke_invitation(who, revoke.invitation,
                                      on_strand<backend::Unit>(answer([re](backend::Unit) { return p::ok_frame(re); })));
          },
          [&](const p::ListMembers& request) { on_members(conn_id, re, request); },
          [&](const p::AddMember& add) { on_add(conn_id, re, add); },
          [&](const p::RemoveMember& remove) { on_remove(conn_id, re, remove); },
          [&](const p::ReadAudit& audit) {
            service.audit(who, audit.before, audit.limit,
                          on_strand<std::vector<accounts::AuditEvent>>(answer([re](const std::vector<accounts::AuditEvent>& events) {
                            std::vector<p::AuditEntry> entries;
                            for (const auto& e : events) entries.push_back({e.ts, e.actor, e.action, e.target, e.detail});
                            return p::audit_frame(re, entries);
                          })));
          },
          [&](const p::MakeToken&) {
            service.make_token(who, on_strand<accounts::SignedIn>(answer([re](const accounts::SignedIn& made) {
              return p::token_frame(re, made.token);
            })));
          },
          [&](const p::ListSessions& list) {
            service.sessions(who, list.user, on_strand<std::vector<accounts::Session>>(answer(
                                                 [re, current = who.session.id](const std::vector<accounts::Session>& sessions) {
                                                   std::vector<p::SessionInfo> infos;
                                                   for (const auto& s : sessions) {
                                                     infos.push_back({s.id, s.user, s.created_at, s.last_used, s.id == current});
                                                   }
                                                   return p::sessions_frame(re, infos);
                                                 })));
          },
          [&](const p::EndSession& end) {
            service.end_session(who, end.session,
                                on_strand<backend::Unit>(answer([re](backend::Unit) { return p::ok_frame(re); })));
          },
          [&](const auto&) { fail(conn_id, re, p::ErrorCode::bad_request, "unexpected frame"); },
      },
      body);
}

void Hub::Impl::on_invite(std::uint64_t conn_id, const Request& re, const p::Invite& invite) {
  const accounts::Identity who = *connection(conn_id)->identity;
  accounts::InviteRequest request{invite.org, invite.room, invite.role, invite.guest, invite.uses, invite.hours};
  auto make = [this, conn_id, re, who, request](std::optional<p::Role> room_role) {
    backends_.accounts->invite(who, request, room_role, on_strand<accounts::CreatedInvitation>(
                                                            [this, conn_id, re](Result<accounts::CreatedInvitation> made) {
                                                              if (!made) return fail(conn_id, re, made.error());
                                                              auto info = invitation_info(made.value().invitation);
                                                              info.code = made.value().code;
                                                              info.url = made.value().url;
                                                              reply(conn_id, re, p::invitation_frame(re, info));
                                                            }));
  };
  if (!invite.room) return make(std::nullopt);
  with_visible_room(conn_id, re, *invite.room, [this, conn_id, re, who, make](RoomAccess access) {
    if (access.room.kind == p::RoomKind::breakout) {
      return fail(conn_id, re, p::ErrorCode::bad_request, "invite people into the room, not one of its breakout groups");
    }
    role_in(access.room, who.account.user.id, [this, conn_id, re, make](Result<p::Role> role) {
      if (!role) return fail(conn_id, re, role.error());
      make(role.value());
    });
  });
}

std::optional<std::string> Hub::Impl::settings_refusal(const std::optional<std::string>& label,
                                                       const std::optional<p::Visibility>& visibility) const {
  if (label && std::find(options_.labels.begin(), options_.labels.end(), *label) == options_.labels.end()) {
    std::string allowed;
    for (const auto& each : options_.labels) allowed += (allowed.empty() ? "" : ", ") + each;
    return "field 'label' must be one of " + allowed;
  }
  if (!accounts_mode() && visibility == p::Visibility::private_) return "private rooms need --auth accounts";
  return std::nullopt;
}

void Hub::Impl::on_room_settings(std::uint64_t conn_id, const Request& re, const p::RoomSettings& settings) {
  if (auto refusal = settings_refusal(settings.label, settings.visibility)) {
    return fail(conn_id, re, p::ErrorCode::bad_request, *refusal);
  }
  const auto actor = *connection(conn_id)->user;
  with_visible_room(conn_id, re, settings.room, [this, conn_id, re, settings, actor](RoomAccess access) {
    if (access.room.kind == p::RoomKind::breakout) {
      return fail(conn_id, re, p::ErrorCode::bad_request,
                  "a breakout group follows its room's settings: change the room's, not one of its groups'");
    }
    if (access.room.created_by != actor.id) {
      return fail(conn_id, re, p::ErrorCode::forbidden, "only the room's owner changes its settings");
    }
    p::Room room = access.room;
    std::string detail;
    auto note = [&detail](const std::string& what) { detail += (detail.empty() ? "" : "; ") + what; };
    if (settings.visibility && *settings.visibility != room.visibility) {
      room.visibility = *settings.visibility;
      note("visibility " + std::string(p::to_string(room.visibility)));
    }
    if (settings.label && *settings.label != room.label) {
      room.label = *settings.label;
      note("label " + room.label);
    }
    if (settings.retention_days && *settings.retention_days != room.retention_days) {
      room.retention_days = *settings.retention_days;
      note(room.retention_days ? "retention " + std::to_string(*room.retention_days) + " days" : "retention forever");
    }
    if (settings.title && *settings.title != room.title) {
      room.title = *settings.title;
      note("title " + room.title);
    }
    if (detail.empty()) return reply(conn_id, re, p::ok_frame(re));
    const bool became_private =
        access.room.visibility == p::Visibility::open && room.visibility == p::Visibility::private_;
    backends_.store.update_room(room, on_strand<p::Room>([this, conn_id, re, actor, detail,
                                                          became_private](Result<p::Room> updated) {
      if (!updated) return fail(conn_id, re, updated.error());
      const auto& room = updated.value();
      if (accounts_mode()) backends_.accounts->record(actor, accounts::kAuditRoomChanged, room.id, detail);
      if (auto* local = local_room(room.id)) local->meta = room;
      publish_control(room.id, control_json("refresh", "1"));
      publish_event(room.id, p::room_event(room));
      announce_room(room, became_private);
      if (room.retention_days) apply_retention(room);
      // Its breakout groups follow before the answer: a request after it finds them changed too.
      align_groups_of(room, [this, conn_id, re] { reply(conn_id, re, p::ok_frame(re)); });
    }));
  });
}

void Hub::Impl::on_members(std::uint64_t conn_id, const Request& re, const p::ListMembers& request) {
  with_visible_room(conn_id, re, request.room, [this, conn_id, re](RoomAccess access) {
    const auto room = access.room;
    backends_.accounts->members(access_room_id(room), on_strand<std::vector<accounts::MemberView>>(
        [this, conn_id, re, room](Result<std::vector<accounts::MemberView>> members) {
          if (!members) return fail(conn_id, re, members.error());
          // Roles given since with `role` live in the facilitation state: that is what counts.
          backends_.store.load_state(room.id, on_strand<backend::RoomState>(
              [this, conn_id, re, room, members = std::move(members.value())](Result<backend::RoomState> loaded) {
                if (!loaded) return fail(conn_id, re, loaded.error());
                const auto state = facilitation::state_from_json(loaded.value().json);
                std::vector<p::MemberInfo> infos;
                for (const auto& view : members) {
                  auto info = member_info(view, room);
                  // Until their first join gives it, an invitation's role is the membership's.
                  const p::Role given = facilitation::role_of(state, room, info.user.id);
                  if (given != p::Role::member || info.role == p::Role::owner) info.role = given;
                  infos.push_back(std::move(info));
                }
                reply(conn_id, re, p::members_frame(re, room.id, infos));
              }));
        }));
  });
}

// Adding is one change as far as the room can tell: the membership is stored (every refusal comes
// from that step, before anything changed), then the role it gives takes effect in the room (where
// roles count: observers cannot send, facilitators lead) — also for someone who never joined — and
// only then are the room and the adder told.
void Hub::Impl::on_add(std::uint64_t conn_id, const Request& re, const p::AddMember& add) {
  const accounts::Identity who = *connection(conn_id)->identity;
  with_visible_room(conn_id, re, add.room, [this, conn_id, re, add, who](RoomAccess access) {
    if (access.room.kind == p::RoomKind::breakout) {
      return fail(conn_id, re, p::ErrorCode::bad_request, "add people to the room, not one of its breakout groups");
    }
    role_in(access.room, who.account.user.id, [this, conn_id, re, add, who, room = access.room](Result<p::Role> role) {
      if (!role) return fail(conn_id, re, role.error());
      if (!leads(role.value())) return fail(conn_id, re, p::ErrorCode::forbidden, "only the owner or facilitators add people");
      backends_.accounts->add_member(
          who, room, add.user, add.role, add.reason,
          on_strand<accounts::MemberView>([this, conn_id, re, who, room](Result<accounts::MemberView> added) {
            if (!added) return fail(conn_id, re, added.error());
            const auto view = added.value();
            const auto info = member_info(view, room);
            const p::SetRole set{room.id, info.user.id, info.role};
            const auto actor = who.account.user;
            transact(
                room.id,
                [this, actor, set, person = info.user](const facilitation::SessionState& state, const p::Room& meta,
                                                       const std::vector<p::PresenceEntry>&) {
                  if (facilitation::role_of(state, meta, set.user) == set.role) return facilitation::Outcome{};
                  return give_role(state, session_context(meta), actor, set, person);
                },
                false,
                [this, conn_id, re, room, who, view, info](Result<facilitation::Outcome> outcome) {
                  if (!outcome) return fail(conn_id, re, outcome.error());
                  if (outcome.value().error) return fail(conn_id, re, *outcome.value().error, outcome.value().error_message);
                  auto finish = [this, conn_id, re, room, info] {
                    publish_event(room.id, p::member_event(room.id, info, p::MemberEvent::add));
                    reply(conn_id, re, p::ok_frame(re));
                  };
                  if (!outcome.value().changed) return finish();
                  // The membership kept the role it had while the room's was another (a role given
                  // before roles were kept in both): the change is audited here, as add_member did not.
                  if (!view.added && view.previous_role == info.role) {
                    backends_.accounts->record(who.account.user, accounts::kAuditRoleChanged, info.user.id,
                                               "room " + room.id + " now " + std::string(p::to_string(info.role)));
                  }
                  if (!outcome.value().state.breakouts.rooms.empty()) {
                    sync_group_roles(room.id, outcome.value().state.breakouts.rooms, [] {});
                  }
                  carry_out(room.id, who.account.user, std::move(outcome.value()), finish);
                });
          }));
    });
  });
}

void Hub::Impl::on_remove(std::uint64_t conn_id, const Request& re, const p::RemoveMember& remove) {
  const accounts::Identity who = *connection(conn_id)->identity;
  with_visible_room(conn_id, re, remove.room, [this, conn_id, re, remove, who](RoomAccess access) {
    role_in(access.room, who.account.user.id, [this, conn_id, re, remove, who, room = access.room](Result<p::Role> role) {
      if (!role) return fail(conn_id, re, role.error());
      if (!leads(role.value())) {
        return fail(conn_id, re, p::ErrorCode::forbidden, "only the owner or facilitators remove people");
      }
      backends_.accounts->remove_member(who, room, remove.user, on_strand<accounts::Membership>(
          [this, conn_id, re, room](Result<accounts::Membership> removed) {
            if (!removed) return fail(conn_id, re, removed.error());
            backends_.accounts->get_account(removed.value().user, on_strand<std::optional<accounts::Account>>(
                [this, conn_id, re, room, removed = removed.value()](Result<std::optional<accounts::Account>> account) {
                  p::User user{removed.user, removed.user, "", false};
                  if (account && account.value()) user = account.value()->user;
                  p::MemberInfo info{user, removed.role, std::nullopt, removed.reason, removed.since};
                  // Everyone hears it (the removed person too), then every node closes their presence.
                  publish_event(room.id, p::member_event(room.id, info, p::MemberEvent::remove));
                  publish_control(room.id, control_json("evict", removed.user));
                  // Its breakout groups are behind its walls: the person leaves them as well.
                  evict_from_groups(room.id, removed.user, [this, conn_id, re] { reply(conn_id, re, p::ok_frame(re)); });
                }));
          }));
    });
  });
}

// In accounts mode the `role` frame is the facilitation command with what only accounts know: a
// guest is never made owner or facilitator, a member added who has not joined yet can be given a
// role, the change is audited (`role_changed`), and the membership follows it.
void Hub::Impl::on_set_role(std::uint64_t conn_id, const Request& re, const p::SetRole& set) {
  if (!accounts_mode()) return on_facilitation(conn_id, re, p::ClientBody(set));
  if (!is_active_member(conn_id, set.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + set.room + "' first");
  }
  const accounts::Identity who = *connection(conn_id)->identity;
  const p::Room meta = local_room(set.room)->meta;
  backends_.accounts->get_account(set.user, on_strand<std::optional<accounts::Account>>(
      [this, conn_id, re, set, who, meta](Result<std::optional<accounts::Account>> target) {
        if (!connection(conn_id)) return;
        if (!target) return fail(conn_id, re, target.error());
        const bool leading = set.role == p::Role::owner || set.role == p::Role::facilitator;
        if (leading && target.value() && target.value()->user.guest) {
          return fail(conn_id, re, p::ErrorCode::forbidden, "a guest is never made owner or facilitator");
        }
        const std::string walls = access_room_id(meta);
        backends_.accounts->membership(walls, set.user, on_strand<std::optional<accounts::Membership>>(
            [this, conn_id, re, set, who, meta, walls, account = target.value()](
                Result<std::optional<accounts::Membership>> membership) {
              if (!connection(conn_id)) return;
              if (!membership) return fail(conn_id, re, membership.error());
              std::optional<p::User> member;
              if (membership.value() && account) member = account->user;
              const auto actor = who.account.user;
              transact(
                  set.room,
                  [this, actor, set, member](const facilitation::SessionState& state, const p::Room& room,
                                             const std::vector<p::PresenceEntry>&) {
                    return give_role(state, session_context(room), actor, set, member);
                  },
                  false,
                  [this, conn_id, re, set, who, meta, walls](Result<facilitation::Outcome> outcome) {
                    if (!outcome) return fail(conn_id, re, outcome.error());
                    if (outcome.value().error) {
                      return fail(conn_id, re, *outcome.value().error, outcome.value().error_message);
                    }
                    if (!outcome.value().changed) {  // the same role again: everyone is told it, nothing kept
                      return carry_out(set.room, who.account.user, std::move(outcome.value()),
                                       [this, conn_id, re] { reply(conn_id, re, p::ok_frame(re)); });
                    }
                    if (!outcome.value().state.breakouts.rooms.empty()) {
                      sync_group_roles(set.room, outcome.value().state.breakouts.rooms, [] {});
                    }
                    // A breakout group's roles are its own: the session's membership stays as it is.
                    // The reply waits for the membership, so a request after it sees the new role.
                    const bool group = meta.kind == p::RoomKind::breakout;
                    backends_.accounts->record_role_change(
                        who, set.room, group ? std::nullopt : std::optional<std::string>(walls), set.user, set.role,
                        on_strand<backend::Unit>([this, conn_id, re, room = set.room, actor = who.account.user,
                                                  outcome = std::move(outcome.value())](Result<backend::Unit> kept) mutable {
                          if (!kept) log::warn("membership role in %s not kept: %s", room.c_str(), kept.error().message.c_str());
                          carry_out(room, actor, std::move(outcome), [this, conn_id, re] { reply(conn_id, re, p::ok_frame(re)); });
                        }));
                  });
            }));
      }));
}

void Hub::Impl::give_membership_role(const p::Room& room, const p::User& user, p::Role role,
                                     std::function<void(std::optional<backend::Error>)> done) {
  // Given as the owner would give it (the owner's account names them in the room's state and
  // record); a role the room gives already (one changed since) stays.
  backends_.accounts->get_account(room.created_by, on_strand<std::optional<accounts::Account>>(
      [this, room, user, role, done](Result<std::optional<accounts::Account>> account) {
        if (!account) return done(account.error());
        const p::User owner = account.value() ? account.value()->user : p::User{room.created_by, room.created_by, room.org};
        const p::SetRole set{room.id, user.id, role};
        transact(
            room.id,
            [this, owner, set, user](const facilitation::SessionState& state, const p::Room& meta,
                                     const std::vector<p::PresenceEntry>&) {
              if (facilitation::role_of(state, meta, user.id) != p::Role::member) return facilitation::Outcome{};
              auto outcome = give_role(state, session_context(meta), owner, set, user);
              // The owner gave nothing in person: they take part only if they had.
              const auto is_owner = [&owner](const p::User& u) { return u.id == owner.id; };
              if (std::none_of(state.participants.begin(), state.participants.end(), is_owner)) {
                std::erase_if(outcome.state.participants, is_owner);
              }
              return outcome;
            },
            false,
            [this, room = room.id, owner, done](Result<facilitation::Outcome> outcome) {
              // Not given, the person would have more say than invited to: the join fails instead.
              if (!outcome) return done(outcome.error());
              if (outcome.value().error) {
                log::warn("invited role not given in %s: %s", room.c_str(), outcome.value().error_message.c_str());
                return done(backend::Error{p::ErrorCode::unavailable, "your role in this room could not be given; try again"});
              }
              if (!outcome.value().changed) return done(std::nullopt);
              if (!outcome.value().state.breakouts.rooms.empty()) {
                sync_group_roles(room, outcome.value().state.breakouts.rooms, [] {});
              }
              carry_out(room, owner, std::move(outcome.value()), [done] { done(std::nullopt); });
            });
      }));
}

// ---- the record ----

void Hub::Impl::export_as(const accounts::Identity& who, const p::Export& request, backend::Callback<std::string> done) {
  const std::string& room = request.room;
  room_access(who.account.user, room, [this, who, request, room, done](const Result<std::optional<RoomAccess>>& found) {
    if (!found) return done(found.error());
    // Administrators may read any room's record; to anyone else a hidden room does not exist.
    const bool exists = found.value().has_value();
    if (!exists || (!found.value()->visible && !who.account.admin)) {
      return done(backend::Error{p::ErrorCode::not_found, "no room '" + room + "'"});
    }
    const auto meta = found.value()->room;
    role_in(meta, who.account.user.id, [this, who, meta, request, done](Result<p::Role> role) {
      if (!role) return done(role.error());
      if (!leads(role.value()) && !who.account.admin) {
        return done(backend::Error{p::ErrorCode::forbidden, "the record is for the owner, facilitators and administrators"});
      }
      backends_.accounts->members(access_room_id(meta), on_strand<std::vector<accounts::MemberView>>(
          [this, who, meta, request, done](Result<std::vector<accounts::MemberView>> members) {
            if (!members) return done(members.error());
            std::vector<p::MemberInfo> permissions;
            for (const auto& view : members.value()) {
              if (view.membership.sponsor && view.user.org != meta.org) permissions.push_back(member_info(view, meta));
            }
            backends_.accounts->record(who.account.user, accounts::kAuditExport, meta.id, "label " + meta.label);
            auto what = request;
            what.room = meta.id;
            export_markdown(std::move(what), done, std::move(permissions));
          }));
    });
  });
}

// ---- retention ----

void Hub::Impl::schedule_retention() {
  if (!retention_timer_) retention_timer_ = std::make_unique<asio::steady_timer>(strand_);
  retention_timer_->expires_after(options_.retention_sweep_interval);
  retention_timer_->async_wait([weak = weak_from_this()](boost::system::error_code error) {
    auto self = weak.lock();
    if (error || !self) return;
    self->sweep_retention();
    self->schedule_retention();
  });
}

void Hub::Impl::sweep_retention(std::string after) {
  // A page of rooms at a time, so a sweep never holds every room at once.
  constexpr int kSweepPage = 500;
  backends_.store.list_rooms_page(after, kSweepPage, on_strand<std::vector<p::Room>>([this](Result<std::vector<p::Room>> rooms) {
    if (!rooms) return log::warn("retention sweep: %s", rooms.error().message.c_str());
    for (const auto& room : rooms.value()) {
      if (room.retention_days) apply_retention(room);
    }
    if (static_cast<int>(rooms.value().size()) == kSweepPage) sweep_retention(rooms.value().back().id);
  }));
}

void Hub::Impl::apply_retention(const p::Room& room) {
  const auto cutoff = now_ms() - std::int64_t{*room.retention_days} * kDayMs;
  backends_.store.delete_messages_before(room.id, cutoff, options_.retention_batch,
                                         [id = room.id](Result<std::int64_t> deleted) {
                                           if (!deleted) return log::warn("retention of %s: %s", id.c_str(),
                                                                          deleted.error().message.c_str());
                                           if (deleted.value() > 0) {
                                             log::info("retention: %lld old messages of %s deleted",
                                                       static_cast<long long>(deleted.value()), id.c_str());
                                           }
                                         });
}

}  // namespace outloud::core
