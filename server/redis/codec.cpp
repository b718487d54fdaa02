#include "server/redis/codec.hpp"

#include <rapidjson/document.h>

#include "outloud/protocol/server_frames.hpp"

namespace outloud::redis {

namespace {

bool parse(std::string_view json, rapidjson::Document& document) {
  document.Parse(json.data(), json.size());
  return !document.HasParseError() && document.IsObject();
}

bool get(const rapidjson::Document& document, const char* key, std::string& out) {
  auto it = document.FindMember(key);
  if (it == document.MemberEnd() || !it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

}  // namespace

// The stored forms are the protocol's own JSON of a ROOM and a USER, read back below.
std::string encode_room(const protocol::Room& room) { return protocol::room_json(room); }

std::optional<protocol::Room> decode_room(std::string_view json) {
  rapidjson::Document document;
  if (!parse(json, document)) return std::nullopt;
  protocol::Room room;
  std::string kind;
  if (!get(document, "id", room.id) || !get(document, "title", room.title) || !get(document, "kind", kind) ||
      !get(document, "created_by", room.created_by)) {
    return std::nullopt;
  }
  auto parsed_kind = protocol::room_kind_from(kind);
  auto created_at = document.FindMember("created_at");
  if (!parsed_kind || created_at == document.MemberEnd() || !created_at->value.IsInt64()) return std::nullopt;
  room.kind = *parsed_kind;
  room.created_at = created_at->value.GetInt64();
  std::string parent;
  if (get(document, "parent", parent)) room.parent = std::move(parent);
  // access.md fields; rooms stored before them keep the defaults.
  get(document, "org", room.org);
  std::string visibility;
  if (get(document, "visibility", visibility)) {
    room.visibility = protocol::visibility_from(visibility).value_or(protocol::Visibility::open);
  }
  get(document, "label", room.label);
  auto retention = document.FindMember("retention_days");
  if (retention != document.MemberEnd() && retention->value.IsInt()) room.retention_days = retention->value.GetInt();
  auto archived = document.FindMember("archived");
  room.archived = archived != document.MemberEnd() && archived->value.IsBool() && archived->value.GetBool();
  return room;
}

std::string encode_user(const protocol::User& user) { return protocol::user_json(user); }

std::optional<protocol::User> decode_user(std::string_view json) {
  rapidjson::Document document;
  if (!parse(json, document)) return std::nullopt;
  protocol::User user;
  if (!get(document, "id", user.id) || !get(document, "name", user.name) || !get(document, "org", user.org)) {
    return std::nullopt;
  }
  auto guest = document.FindMember("guest");
  user.guest = guest != document.MemberEnd() && guest->value.IsBool() && guest->value.GetBool();
  return user;
}

}  // namespace outloud::redis
