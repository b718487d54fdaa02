#include "server_value_readers.hpp"

namespace outloud::protocol::detail {

namespace {

constexpr Length kAnyLength{0, static_cast<std::size_t>(-1)};

// Organisation ids on users and rooms: a slug, or empty where the auth mode has none.
std::string_view org_text(const FieldReader& fields, const char* name) {
  const rapidjson::Value& value = fields.require(name);
  if (value.IsString() && value.GetStringLength() == 0) return {};
  return fields.slug_text(name);
}

template <class Enum>
Enum named(const FieldReader& fields, const char* name, std::optional<Enum> (*from)(std::string_view),
           std::string_view rule) {
  const std::string_view text = fields.text(name, {1, 64});
  const std::optional<Enum> value = from(text);
  if (!value) reject(fields.label(name) + " must be one of " + std::string(rule));
  return *value;
}

void assign_optional(std::optional<std::string>& into, const std::optional<std::string_view>& text) {
  if (!text) {
    into.reset();
  } else if (into) {
    assign(*into, *text);
  } else {
    into.emplace(*text);
  }
}

}  // namespace

FieldReader nested(const FieldReader& fields, const char* name) {
  const rapidjson::Value& value = fields.require(name);
  if (!value.IsObject()) reject(fields.label(name) + " must be an object");
  return FieldReader(value, fields.path() + name + ".", fields.lookup());
}

FieldReader element(const rapidjson::Value& array, rapidjson::SizeType index, std::string_view what) {
  const std::string path = std::string(what) + "[" + std::to_string(index) + "]";
  if (!array[index].IsObject()) reject("field '" + path + "' must be an object");
  return FieldReader(array[index], path + ".", Lookup::serialized_order);
}

void assign(std::string& into, std::string_view text) { into.assign(text.data(), text.size()); }

void read_user(const FieldReader& fields, User& into) {
  assign(into.id, fields.user_id_text("id"));
  assign(into.name, fields.display_name_text("name"));
  assign(into.org, org_text(fields, "org"));
  into.guest = fields.optional_boolean("guest").value_or(false);
}

void read_room(const FieldReader& f, Room& into) {
  assign(into.id, f.slug_text("id"));
  // 1..200 from a client; a breakout group adds " — group N" to its parent's title.
  assign(into.title, f.text("title", {1, 300}));
  into.kind = named(f, "kind", &room_kind_from, "room, session, breakout");
  assign(into.created_by, f.user_id_text("created_by"));
  into.created_at = f.integer("created_at", 0, kMaxSafeInteger);
  assign_optional(into.parent, f.present("parent") ? std::optional(f.slug_text("parent")) : std::nullopt);
  assign(into.org, org_text(f, "org"));
  into.visibility = named(f, "visibility", &visibility_from, "open, private");
  assign(into.label, f.text("label", {1, 64}));
  if (const auto days = f.optional_integer("retention_days", 1, 36500)) {
    into.retention_days = static_cast<int>(*days);
  } else {
    into.retention_days.reset();
  }
  into.archived = f.optional_boolean("archived").value_or(false);
}

void read_message(const FieldReader& f, Message& into) {
  assign(into.room, f.slug_text("room"));
  into.seq = f.integer("seq", 1, kMaxSafeInteger);
  into.ts = f.integer("ts", 0, kMaxSafeInteger);
  read_user(nested(f, "from"), into.from);
  assign(into.topic, f.text("topic", {1, 60}));
  assign(into.text, f.text("text", kAnyLength));  // empty once deleted; the server's limit is its own
  if (const auto tag = f.optional_text("tag", {1, 16})) {
    into.tag = tag_from(*tag);
    if (!into.tag) reject(f.label("tag") + " must be one of learn, do, reflect, share (or null)");
  } else {
    into.tag.reset();
  }
  into.reply_to = f.optional_integer("reply_to", 1, kMaxSafeInteger);
  assign_optional(into.nonce, f.optional_text("nonce", {1, 64}));
  into.edited_at = f.optional_integer("edited_at", 0, kMaxSafeInteger);
  if (!f.present("deleted")) {
    into.deleted.reset();
    return;
  }
  const FieldReader deleted = nested(f, "deleted");
  if (!into.deleted) into.deleted.emplace();
  into.deleted->at = deleted.integer("at", 0, kMaxSafeInteger);
  read_user(nested(deleted, "by"), into.deleted->by);
  assign_optional(into.deleted->reason, deleted.optional_text("reason", {1, 500}));
}

PresenceState read_presence_state(const FieldReader& fields, const char* name) {
  return named(fields, name, &presence_state_from, "online, away");
}

void read_presence_entry(const FieldReader& f, PresenceEntry& into) {
  read_user(nested(f, "user"), into.user);
  into.state = read_presence_state(f, "state");
  into.since = f.integer("since", 0, kMaxSafeInteger);
}

}  // namespace outloud::protocol::detail
