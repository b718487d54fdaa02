#include "server/net/http_api_json.hpp"

#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "outloud/protocol/server_frames.hpp"

namespace outloud::net {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, std::string_view text) { w.String(text.data(), static_cast<rapidjson::SizeType>(text.size())); }

// USER as the protocol writes it; for the person themself with "admin"/"org_admin" when set.
void user(Writer& w, const protocol::User& u, bool admin = false, bool org_admin = false) {
  std::string json = protocol::user_json(u);
  if (admin || org_admin) {
    json.pop_back();  // the closing brace
    if (admin) json += R"(,"admin":true)";
    if (org_admin) json += R"(,"org_admin":true)";
    json += '}';
  }
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string text(const rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

std::string iso_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[40];
  const auto n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(out, n) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

}  // namespace

std::string error_json(protocol::ErrorCode code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("error");
  string(w, protocol::to_string(code));
  w.Key("message");
  string(w, message);
  w.EndObject();
  return text(buffer);
}

std::string signed_out_json(std::string_view auth, bool setup_pending) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("error");
  string(w, protocol::to_string(protocol::ErrorCode::unauthenticated));
  w.Key("auth");
  string(w, auth);
  w.Key("setup");
  w.Bool(setup_pending);
  w.EndObject();
  return text(buffer);
}

std::string me_json(const accounts::Account& account, std::string_view auth) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("user");
  user(w, account.user, account.admin, account.org_admin);
  w.Key("auth");
  string(w, auth);
  w.EndObject();
  return text(buffer);
}

std::string signed_in_json(const accounts::SignedIn& signed_in) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("user");
  user(w, signed_in.account.user, signed_in.account.admin, signed_in.account.org_admin);
  w.Key("token");
  string(w, signed_in.token);
  w.EndObject();
  return text(buffer);
}

std::string audit_json(const std::vector<accounts::AuditEvent>& events) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("events");
  w.StartArray();
  for (const auto& event : events) {
    w.StartObject();
    w.Key("ts");
    w.Int64(event.ts);
    w.Key("actor");
    if (event.actor) {
      user(w, *event.actor);
    } else {
      w.Null();
    }
    w.Key("action");
    string(w, event.action);
    w.Key("target");
    string(w, event.target);
    w.Key("detail");
    string(w, event.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next");
  if (events.empty()) {
    w.Null();
  } else {
    w.Int64(events.back().ts);
  }
  w.EndObject();
  return text(buffer);
}

std::string csv_field(std::string_view value) {
  std::string out;
  if (!value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                         value.front() == '@' || value.front() == '\t' || value.front() == '\r')) {
    out += '\'';
  }
  out += value;
  if (out.find_first_of(",\"\r\n") == std::string::npos) return out;
  std::string quoted = "\"";
  for (char c : out) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string audit_csv(const std::vector<accounts::AuditEvent>& events) {
  std::string out = "ts,time,actor_id,actor_name,actor_org,action,target,detail\r\n";
  for (const auto& event : events) {
    out += std::to_string(event.ts) + "," + iso_time(event.ts) + ",";
    if (event.actor) {
      out += csv_field(event.actor->id) + "," + csv_field(event.actor->name) + "," + csv_field(event.actor->org);
    } else {
      out += ",,";
    }
    out += "," + csv_field(event.action) + "," + csv_field(event.target) + "," + csv_field(event.detail) + "\r\n";
  }
  return out;
}

}  // namespace outloud::net
