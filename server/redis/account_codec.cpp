#include "server/redis/account_codec.hpp"

#include <algorithm>
#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace outloud::redis {

using accounts::Account;
using accounts::AuditEvent;
using accounts::Invitation;
using accounts::Membership;
using accounts::Session;
using accounts::SignInCode;

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Reads a reply holding "field, value, field, value...".
class FieldReader {
 public:
  explicit FieldReader(const Reply& fields) : fields_(fields) {}

  const std::string* find(std::string_view name) const {
    const auto& e = fields_.elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
      if (e[i].str == name) return &e[i + 1].str;
    }
    return nullptr;
  }
  bool text(std::string_view name, std::string& out) const {
    const auto* value = find(name);
    if (value == nullptr) return false;
    out = *value;
    return true;
  }
  std::optional<std::string> optional_text(std::string_view name) const {
    const auto* value = find(name);
    return value ? std::optional<std::string>(*value) : std::nullopt;
  }
  bool integer(std::string_view name, std::int64_t& out) const {
    const auto* value = find(name);
    if (value == nullptr) return false;
    const char* end = value->data() + value->size();
    auto [at, ec] = std::from_chars(value->data(), end, out);
    return ec == std::errc() && at == end;
  }
  bool flag(std::string_view name, bool& out) const {
    std::int64_t value = 0;
    if (!integer(name, value)) return false;
    out = value != 0;
    return true;
  }
  bool role(std::string_view name, protocol::Role& out) const {
    const auto* value = find(name);
    auto parsed = value ? protocol::role_from(*value) : std::nullopt;
    if (!parsed) return false;
    out = *parsed;
    return true;
  }

 private:
  const Reply& fields_;
};

std::string flag(bool value) { return value ? "1" : "0"; }

bool parse_object(std::string_view json, rapidjson::Document& document) {
  document.Parse(json.data(), json.size());
  return !document.HasParseError() && document.IsObject();
}

std::optional<std::string> json_text(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::int64_t> json_int(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

void write_text(Writer& out, const char* key, const std::string& value) {
  out.Key(key);
  out.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

// ---- accounts ----

Fields account_fields(const Account& account) {
  Fields fields{"name", account.user.name, "org", account.user.org, "guest", flag(account.user.guest),
                "admin", flag(account.admin), "org_admin", flag(account.org_admin),
                "created_at", std::to_string(account.created_at)};
  if (account.email) {
    fields.emplace_back("email");
    fields.push_back(*account.email);
  }
  return fields;
}

std::optional<Account> account_from(std::string id, const Reply& reply) {
  FieldReader fields(reply);
  Account account;
  account.user.id = std::move(id);
  if (!fields.text("name", account.user.name) || !fields.text("org", account.user.org) ||
      !fields.flag("guest", account.user.guest) || !fields.flag("admin", account.admin) ||
      !fields.flag("org_admin", account.org_admin) || !fields.integer("created_at", account.created_at)) {
    return std::nullopt;
  }
  account.email = fields.optional_text("email");
  return account;
}

std::string people_member(const Account& account) {
  std::string member = account.user.name;
  member.push_back('\0');
  member += account.user.id;
  return member;
}

// ---- sessions ----

Fields session_fields(const Session& session) {
  return {"token_hash", session.token_hash, "user", session.user, "created_at", std::to_string(session.created_at),
          "last_used", std::to_string(session.last_used), "revoked", flag(session.revoked)};
}

std::optional<Session> session_from(std::string id, const Reply& reply) {
  FieldReader fields(reply);
  Session session;
  session.id = std::move(id);
  if (!fields.text("token_hash", session.token_hash) || !fields.text("user", session.user) ||
      !fields.integer("created_at", session.created_at) || !fields.integer("last_used", session.last_used) ||
      !fields.flag("revoked", session.revoked)) {
    return std::nullopt;
  }
  return session;
}

// ---- invitations ----

Fields invitation_fields(const Invitation& invitation) {
  Fields fields{"code_hash", invitation.code_hash,
                "org", invitation.org,
                "role", std::string(protocol::to_string(invitation.role)),
                "guest", flag(invitation.guest),
                "uses_left", std::to_string(invitation.uses_left),
                "expires_at", std::to_string(invitation.expires_at),
                "created_by", invitation.created_by,
                "created_at", std::to_string(invitation.created_at),
                "revoked", flag(invitation.revoked)};
  if (invitation.room) {
    fields.emplace_back("room");
    fields.push_back(*invitation.room);
  }
  return fields;
}

std::optional<Invitation> invitation_from(std::string id, const Reply& reply) {
  FieldReader fields(reply);
  Invitation invitation;
  invitation.id = std::move(id);
  std::int64_t uses_left = 0;
  if (!fields.text("code_hash", invitation.code_hash) || !fields.text("org", invitation.org) ||
      !fields.role("role", invitation.role) || !fields.flag("guest", invitation.guest) ||
      !fields.integer("uses_left", uses_left) || !fields.integer("expires_at", invitation.expires_at) ||
      !fields.text("created_by", invitation.created_by) || !fields.integer("created_at", invitation.created_at) ||
      !fields.flag("revoked", invitation.revoked)) {
    return std::nullopt;
  }
  invitation.uses_left = static_cast<int>(uses_left);
  invitation.room = fields.optional_text("room");
  return invitation;
}

// ---- organisations ----

std::string domains_json(const std::vector<std::string>& domains) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartArray();
  for (const auto& domain : domains) out.String(domain.data(), static_cast<rapidjson::SizeType>(domain.size()));
  out.EndArray();
  return buffer.GetString();
}

std::optional<std::vector<std::string>> domains_from(std::string_view json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError() || !document.IsArray()) return std::nullopt;
  std::vector<std::string> domains;
  for (const auto& value : document.GetArray()) {
    if (!value.IsString()) return std::nullopt;
    domains.emplace_back(value.GetString(), value.GetStringLength());
  }
  return domains;
}

// ---- memberships ----

std::string membership_json(const Membership& member) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartObject();
  write_text(out, "role", std::string(protocol::to_string(member.role)));
  if (member.sponsor) write_text(out, "sponsor", *member.sponsor);
  if (member.reason) write_text(out, "reason", *member.reason);
  out.Key("since");
  out.Int64(member.since);
  out.EndObject();
  return buffer.GetString();
}

std::optional<Membership> membership_from(std::string room, std::string user, std::string_view json) {
  rapidjson::Document document;
  if (!parse_object(json, document)) return std::nullopt;
  auto role = json_text(document, "role");
  auto parsed_role = role ? protocol::role_from(*role) : std::nullopt;
  auto since = json_int(document, "since");
  if (!parsed_role || !since) return std::nullopt;
  Membership member;
  member.room = std::move(room);
  member.user = std::move(user);
  member.role = *parsed_role;
  member.sponsor = json_text(document, "sponsor");
  member.reason = json_text(document, "reason");
  member.since = *since;
  return member;
}

// ---- sign-in codes ----

std::string sign_in_code_json(const SignInCode& code) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartObject();
  write_text(out, "email", code.email);
  out.Key("expires_at");
  out.Int64(code.expires_at);
  out.EndObject();
  return buffer.GetString();
}

std::optional<SignInCode> sign_in_code_from(std::string code_hash, std::string_view json) {
  rapidjson::Document document;
  if (!parse_object(json, document)) return std::nullopt;
  auto email = json_text(document, "email");
  auto expires_at = json_int(document, "expires_at");
  if (!email || !expires_at) return std::nullopt;
  return SignInCode{std::move(code_hash), std::move(*email), *expires_at};
}

// ---- audit ----

Fields audit_fields(const AuditEvent& event) {
  Fields fields;
  if (event.actor) {
    fields = {"actor_id", event.actor->id, "actor_name", event.actor->name, "actor_org", event.actor->org,
              "actor_guest", flag(event.actor->guest)};
  }
  fields.insert(fields.end(), {"action", event.action, "target", event.target, "detail", event.detail});
  return fields;
}

std::optional<AuditEvent> audit_from(const Reply& entry) {
  if (entry.elements.size() != 2) return std::nullopt;
  const std::string& id = entry.elements[0].str;
  AuditEvent event;
  const auto dash = id.find('-');
  auto [at, ec] = std::from_chars(id.data(), id.data() + std::min(dash, id.size()), event.ts);
  if (ec != std::errc() || at != id.data() + std::min(dash, id.size())) return std::nullopt;
  FieldReader fields(entry.elements[1]);
  if (!fields.text("action", event.action) || !fields.text("target", event.target) ||
      !fields.text("detail", event.detail)) {
    return std::nullopt;
  }
  if (fields.find("actor_id") != nullptr) {
    protocol::User actor;
    if (!fields.text("actor_id", actor.id) || !fields.text("actor_name", actor.name) ||
        !fields.text("actor_org", actor.org) || !fields.flag("actor_guest", actor.guest)) {
      return std::nullopt;
    }
    event.actor = std::move(actor);
  }
  return event;
}

}  // namespace outloud::redis
