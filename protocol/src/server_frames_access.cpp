// Serializers of the frames of access.md (organisations, people, invitations, rooms' settings,
// members, audit) and of the accounts.md extensions (token, sessions).
#include "json_write.hpp"
#include "outloud/protocol/server_frames.hpp"

namespace outloud::protocol {

using detail::JsonOut;

namespace {

void optional_string(JsonOut& out, const char* name, const std::optional<std::string>& value) {
  out.key(name);
  if (value) {
    out.string(*value);
  } else {
    out.null();
  }
}

void optional_user(JsonOut& out, const char* name, const std::optional<User>& user) {
  out.key(name);
  if (user) {
    out.user(*user);
  } else {
    out.null();
  }
}

void org_value(JsonOut& out, const Org& org) {
  out.start_object();
  out.key("id");
  out.string(org.id);
  out.key("name");
  out.string(org.name);
  out.key("domains");
  out.start_array();
  for (const auto& domain : org.domains) out.string(domain);
  out.end_array();
  out.end_object();
}

void invitation_value(JsonOut& out, const InvitationInfo& i) {
  out.start_object();
  out.key("id");
  out.string(i.id);
  if (i.code) {
    out.key("code");
    out.string(*i.code);
  }
  if (i.url) {
    out.key("url");
    out.string(*i.url);
  }
  out.key("org");
  out.string(i.org);
  optional_string(out, "room", i.room);
  out.key("role");
  out.string(to_string(i.role));
  out.key("guest");
  out.boolean(i.guest);
  out.key("uses_left");
  out.integer(i.uses_left);
  out.key("expires_at");
  out.integer(i.expires_at);
  out.key("created_by");
  out.string(i.created_by);
  out.key("created_at");
  out.integer(i.created_at);
  out.end_object();
}

void member_value(JsonOut& out, const MemberInfo& m) {
  out.start_object();
  out.key("user");
  out.user(m.user);
  out.key("role");
  out.string(to_string(m.role));
  optional_user(out, "sponsor", m.sponsor);
  optional_string(out, "reason", m.reason);
  out.key("since");
  out.integer(m.since);
  out.end_object();
}

void audit_value(JsonOut& out, const AuditEntry& e) {
  out.start_object();
  out.key("ts");
  out.integer(e.ts);
  optional_user(out, "actor", e.actor);
  out.key("action");
  out.string(e.action);
  out.key("target");
  out.string(e.target);
  out.key("detail");
  out.string(e.detail);
  out.end_object();
}

}  // namespace

std::string orgs_frame(const ReplyTo& re, const std::vector<Org>& orgs) {
  JsonOut out;
  out.open_reply("orgs", re);
  out.key("orgs");
  out.start_array();
  for (const auto& org : orgs) org_value(out, org);
  out.end_array();
  return out.finish();
}

std::string org_frame(const ReplyTo& re, const Org& org) {
  JsonOut out;
  out.open_reply("org", re);
  out.key("org");
  org_value(out, org);
  return out.finish();
}

std::string people_frame(const ReplyTo& re, const std::vector<Person>& people) {
  JsonOut out;
  out.open_reply("people", re);
  out.key("people");
  out.start_array();
  for (const auto& person : people) out.user(person.user, person.privileges);
  out.end_array();
  return out.finish();
}

std::string invitation_frame(const ReplyTo& re, const InvitationInfo& invitation) {
  JsonOut out;
  out.open_reply("invitation", re);
  out.key("invitation");
  invitation_value(out, invitation);
  return out.finish();
}

std::string invitations_frame(const ReplyTo& re, const std::vector<InvitationInfo>& invitations) {
  JsonOut out;
  out.open_reply("invitations", re);
  out.key("invitations");
  out.start_array();
  for (auto invitation : invitations) {
    invitation.code.reset();  // codes are shown once, when made
    invitation.url.reset();
    invitation_value(out, invitation);
  }
  out.end_array();
  return out.finish();
}

std::string room_event(const Room& room) {
  JsonOut out;
  out.open_reply("room", std::nullopt);
  out.key("room");
  out.room(room);
  return out.finish();
}

std::string members_frame(const ReplyTo& re, std::string_view room, const std::vector<MemberInfo>& members) {
  JsonOut out;
  out.open_reply("members", re);
  out.key("room");
  out.string(room);
  out.key("members");
  out.start_array();
  for (const auto& member : members) member_value(out, member);
  out.end_array();
  return out.finish();
}

std::string member_event(std::string_view room, const MemberInfo& member, MemberEvent event) {
  JsonOut out;
  out.open_reply("member", std::nullopt);
  out.key("room");
  out.string(room);
  out.key("member");
  member_value(out, member);
  out.key("event");
  out.string(event == MemberEvent::add ? "add" : "remove");
  return out.finish();
}

std::string audit_frame(const ReplyTo& re, const std::vector<AuditEntry>& events) {
  JsonOut out;
  out.open_reply("audit", re);
  out.key("events");
  out.start_array();
  for (const auto& event : events) audit_value(out, event);
  out.end_array();
  return out.finish();
}

std::string token_frame(const ReplyTo& re, std::string_view token) {
  JsonOut out;
  out.open_reply("token", re);
  out.key("token");
  out.string(token);
  return out.finish();
}

std::string sessions_frame(const ReplyTo& re, const std::vector<SessionInfo>& sessions) {
  JsonOut out;
  out.open_reply("sessions", re);
  out.key("sessions");
  out.start_array();
  for (const auto& s : sessions) {
    out.start_object();
    out.key("id");
    out.string(s.id);
    out.key("user");
    out.string(s.user);
    out.key("created_at");
    out.integer(s.created_at);
    out.key("last_used");
    out.integer(s.last_used);
    out.key("current");
    out.boolean(s.current);
    out.end_object();
  }
  out.end_array();
  return out.finish();
}

std::string org_json(const Org& org) {
  JsonOut out;
  org_value(out, org);
  return out.str();
}

std::string user_json_self(const User& user, const Privileges& privileges) {
  JsonOut out;
  out.user(user, privileges);
  return out.str();
}

std::string audit_entry_json(const AuditEntry& entry) {
  JsonOut out;
  audit_value(out, entry);
  return out.str();
}

}  // namespace outloud::protocol
