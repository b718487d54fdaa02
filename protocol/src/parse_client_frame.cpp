// parse_client_frame: JSON text -> a validated ClientFrame, or a bad_request naming the broken rule.
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "field_reader.hpp"
#include "message_change_readers.hpp"
#include "outloud/protocol/client_frames.hpp"
#include "small_document.hpp"
#include "utf8.hpp"

namespace outloud::protocol {

namespace {

using detail::FieldReader;
using detail::kMaxSafeInteger;
using detail::reject;

// Frames nest at most three levels (frame -> items -> item); anything far deeper is refused before
// RapidJSON allocates a value per bracket.
constexpr int kMaxDepth = 16;
constexpr std::size_t kMaxTokenChars = 8192;

bool nests_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// A string field whose value must be one of `names`; returns the index of the match.
template <std::size_t N>
std::size_t choice(const FieldReader& fields, const char* name, const std::array<std::string_view, N>& names,
                   std::string_view note = {}) {
  const std::string_view text = detail::checked_string(fields.require(name), fields.label(name));
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return i;
  }
  std::string rule = fields.label(name) + " must be one of ";
  for (std::size_t i = 0; i < N; ++i) {
    rule += (i == 0 ? "" : ", ");
    rule += names[i];
  }
  reject(std::move(rule) + std::string(note));
}

const std::string kIdRule = "field 'id' must be a string of at most " + std::to_string(kMaxRequestIdChars) +
                            " characters or an integer from -2^53 to 2^53";

// The id, read; `id` is set before the length is judged, so that a refusal of an over-long string
// id still answers it (the frame cap bounds what is echoed).
void read_id(const FieldReader& fields, std::optional<RequestId>& id) {
  const rapidjson::Value* value = fields.find("id");
  if (value == nullptr) return;
  if (value->IsString()) {
    const std::string_view text(value->GetString(), value->GetStringLength());
    // The contract allows any string, the empty one included ("a string, or an integer up to 2^53").
    if (is_valid_utf8(text)) {
      id = RequestId{std::string(text)};
      if (utf8_length(text) <= kMaxRequestIdChars) return;
    }
  } else if (value->IsInt64() && value->GetInt64() >= -kMaxSafeInteger && value->GetInt64() <= kMaxSafeInteger) {
    id = RequestId{value->GetInt64()};
    return;
  }
  reject(kIdRule);
}

std::string topic(const FieldReader& fields) {
  return fields.optional_string("topic", {1, 60}).value_or("general");
}

// ---- one reader per frame type ----

ClientBody read_hello(const FieldReader& f, const ParseLimits&) {
  Hello hello;
  hello.token = f.optional_string("token", {1, kMaxTokenChars});
  if (f.present("name")) hello.name = f.display_name("name");
  if (f.present("org")) hello.org = f.slug("org");
  // Neither is fine here: accounts mode signs in with the upgrade's cookie; the server decides.
  if (!hello.token && hello.name.has_value() != hello.org.has_value()) {
    if (hello.name) reject("field 'org' is required with 'name' (or give 'token')");
    reject("field 'name' is required with 'org' (or give 'token')");
  }
  return hello;
}

ClientBody read_ping(const FieldReader&, const ParseLimits&) { return Ping{}; }

ClientBody read_status(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 2> kStates = {"online", "away"};
  return Status{static_cast<PresenceState>(choice(f, "state", kStates))};
}

ClientBody read_create(const FieldReader& f, const ParseLimits&) {
  Create create;
  create.room = f.slug("room");
  create.title = f.optional_string("title", {1, 200}).value_or(create.room);
  if (f.present("kind")) {
    const std::string_view kind = detail::checked_string(f.require("kind"), "field 'kind'");
    if (kind == "room") {
      create.kind = RoomKind::room;
    } else if (kind == "session") {
      create.kind = RoomKind::session;
    } else if (kind == "breakout") {
      reject("field 'kind' must be one of room, session (breakout rooms are opened by a 'breakout' frame)");
    } else {
      reject("field 'kind' must be one of room, session");
    }
  }
  static constexpr std::array<std::string_view, 2> kVisibilities = {"open", "private"};
  if (f.present("visibility")) create.visibility = static_cast<Visibility>(choice(f, "visibility", kVisibilities));
  create.label = f.optional_string("label", {1, 64});
  return create;
}

ClientBody read_rooms(const FieldReader& f, const ParseLimits&) {
  ListRooms list;
  if (const auto limit = f.optional_integer("limit", 1, kMaxRoomsPage)) list.limit = static_cast<int>(*limit);
  if (f.present("after")) list.after = f.slug("after");
  list.archived = f.optional_boolean("archived").value_or(false);
  return list;
}

ClientBody read_join(const FieldReader& f, const ParseLimits&) {
  Join join;
  join.room = f.room();
  join.since = f.optional_integer("since", 0, kMaxSafeInteger);
  if (const auto limit = f.optional_integer("limit", 1, 200)) join.limit = static_cast<int>(*limit);
  if (const auto limit = f.optional_integer("presence_limit", 1, kMaxPresencePage)) {
    join.presence_limit = static_cast<int>(*limit);
  }
  join.message_batches = f.optional_boolean("message_batches").value_or(false);
  return join;
}

ClientBody read_presence_page(const FieldReader& f, const ParseLimits&) {
  PresencePage page;
  page.room = f.room();
  page.after = f.optional_string("after", {1, kMaxPresenceCursor});
  if (const auto limit = f.optional_integer("limit", 1, kMaxPresencePage)) page.limit = static_cast<int>(*limit);
  return page;
}

ClientBody read_leave(const FieldReader& f, const ParseLimits&) { return Leave{f.room()}; }

ClientBody read_send(const FieldReader& f, const ParseLimits& limits) {
  Send send;
  send.room = f.room();
  send.text = f.string("text", {1, limits.max_text_chars});
  send.topic = topic(f);
  if (f.present("tag")) {
    static constexpr std::array<std::string_view, 4> kTags = {"learn", "do", "reflect", "share"};
    send.tag = static_cast<Tag>(choice(f, "tag", kTags, " (or null)"));
  }
  send.reply_to = f.optional_integer("reply_to", 1, kMaxSafeInteger);
  send.nonce = f.optional_string("nonce", {1, 64});
  return send;
}

ClientBody read_history(const FieldReader& f, const ParseLimits&) {
  History history;
  history.room = f.room();
  history.before = f.optional_integer("before", 0, kMaxSafeInteger);
  history.after = f.optional_integer("after", 0, kMaxSafeInteger);
  if (history.before && history.after) reject("fields 'before' and 'after' cannot both be given");
  history.limit = static_cast<int>(f.optional_integer("limit", 1, 200).value_or(50));
  if (f.present("topic")) history.topic = topic(f);
  return history;
}

ClientBody read_topics(const FieldReader& f, const ParseLimits&) {
  ListTopics list;
  list.room = f.room();
  list.before = f.optional_integer("before", 1, kMaxSafeInteger);
  list.limit = static_cast<int>(f.optional_integer("limit", 1, kMaxTopicsPage).value_or(100));
  return list;
}

ClientBody read_mark_read(const FieldReader& f, const ParseLimits&) {
  MarkRead read;
  read.room = f.room();
  read.seq = f.integer("seq", 0, kMaxSafeInteger);
  if (f.present("topic")) read.topic = topic(f);
  return read;
}

ClientBody read_typing(const FieldReader& f, const ParseLimits&) { return Typing{f.room(), topic(f)}; }

ClientBody read_role(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 4> kRoles = {"owner", "facilitator", "member", "observer"};
  SetRole set;
  set.room = f.room();
  set.user = f.user_id("user");
  set.role = static_cast<Role>(choice(f, "role", kRoles));
  return set;
}

ClientBody read_hand(const FieldReader& f, const ParseLimits&) { return Hand{f.room(), f.boolean("up")}; }

ClientBody read_floor(const FieldReader& f, const ParseLimits&) {
  Floor floor;
  floor.room = f.room();
  if (f.present("user")) floor.user = f.user_id("user");
  return floor;
}

ClientBody read_timer(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 4> kActions = {"start", "pause", "resume", "stop"};
  Timer timer;
  timer.room = f.room();
  timer.action = static_cast<TimerAction>(choice(f, "action", kActions));
  if (timer.action == TimerAction::start) {
    timer.seconds = static_cast<int>(f.integer("seconds", 1, 86400));
    timer.label = f.optional_string("label", {0, 80}).value_or("");
  }
  return timer;
}

// Poll ids are strings made by the server ("p1", "p2", ...).
std::string poll_id(const FieldReader& f) { return f.string("poll", {1, 64}); }

ClientBody read_poll(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 2> kActions = {"open", "close"};
  if (choice(f, "action", kActions) == 1) return PollClose{f.room(), poll_id(f)};
  PollOpen open;
  open.room = f.room();
  open.question = f.string("question", {1, 300});
  const rapidjson::Value& options = f.array("options", 2, 10);
  for (rapidjson::SizeType i = 0; i < options.Size(); ++i) {
    const std::string what = "field 'options[" + std::to_string(i) + "]'";
    open.options.push_back(detail::checked_length(detail::checked_string(options[i], what), {1, 200}, what));
  }
  open.multi = f.optional_boolean("multi").value_or(false);
  open.anonymous = f.optional_boolean("anonymous").value_or(true);
  return open;
}

ClientBody read_vote(const FieldReader& f, const ParseLimits&) {
  Vote vote;
  vote.room = f.room();
  vote.poll = poll_id(f);
  const rapidjson::Value& choices = f.array("choices", 0, 10);
  for (rapidjson::SizeType i = 0; i < choices.Size(); ++i) {
    const std::string what = "field 'choices[" + std::to_string(i) + "]'";
    vote.choices.push_back(static_cast<int>(detail::checked_integer(choices[i], 0, 9, what)));
  }
  return vote;
}

ClientBody read_breakout(const FieldReader& f, const ParseLimits& limits) {
  static constexpr std::array<std::string_view, 4> kActions = {"open", "broadcast", "close", "place"};
  static constexpr std::array<std::string_view, 3> kStrategies = {"mix", "random", "manual"};
  const std::size_t action = choice(f, "action", kActions);
  if (action == 1) return BreakoutBroadcast{f.room(), f.string("text", {1, limits.max_text_chars})};
  if (action == 2) return BreakoutClose{f.room()};
  if (action == 3) {
    BreakoutPlace place{f.room(), f.user_id("user"), std::nullopt};
    if (const auto group = f.optional_integer("group", 1, 50)) place.group = static_cast<int>(*group);
    return place;
  }
  BreakoutOpen open;
  open.room = f.room();
  if (const auto groups = f.optional_integer("groups", 1, 50)) open.groups = static_cast<int>(*groups);
  if (const auto size = f.optional_integer("size", 1, 200)) open.size = static_cast<int>(*size);
  if (open.groups.has_value() == open.size.has_value()) reject("exactly one of fields 'groups' and 'size' must be given");
  if (f.present("strategy")) open.strategy = static_cast<BreakoutStrategy>(choice(f, "strategy", kStrategies));
  if (f.present("assign")) {
    const rapidjson::Value& assign = f.require("assign");
    if (!assign.IsObject()) reject("field 'assign' must be an object of user id -> group number");
    for (const auto& member : assign.GetObject()) {
      const std::string user = detail::checked_length(detail::checked_string(member.name, "a key of field 'assign'"),
                                                      {1, 128}, "a user id in field 'assign'");
      const std::string what = "field 'assign." + detail::truncate_chars(user, 40) + "'";
      open.assign[user] = static_cast<int>(detail::checked_integer(member.value, 1, 1000, what));
    }
  }
  if (const auto minutes = f.optional_integer("minutes", 1, 600)) open.minutes = static_cast<int>(*minutes);
  return open;
}

ClientBody read_agenda(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 3> kActions = {"set", "next", "prev"};
  const std::size_t action = f.present("action") ? choice(f, "action", kActions) : 0;
  if (action != 0) {
    if (f.present("items")) reject("give either field 'items' or field 'action' next/prev, not both");
    return AgendaMove{f.room(), action == 1};
  }
  AgendaSet set;
  set.room = f.room();
  const rapidjson::Value& items = f.array("items", 0, 50);
  for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
    const std::string path = "items[" + std::to_string(i) + "]";
    if (!items[i].IsObject()) reject("field '" + path + "' must be an object {\"title\",\"minutes\"}");
    const FieldReader item(items[i], path + ".");
    set.items.push_back(AgendaItem{item.string("title", {1, 200}),
                                   static_cast<int>(item.optional_integer("minutes", 0, 600).value_or(0))});
  }
  return set;
}

ClientBody read_lock(const FieldReader& f, const ParseLimits&) { return Lock{f.room(), f.boolean("locked")}; }

ClientBody read_export(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 2> kFormats = {"markdown", "html"};
  Export request{f.room(), f.optional_string("tz", {1, 64}).value_or(""), RecordFormat::markdown};
  if (f.present("format")) request.format = static_cast<RecordFormat>(choice(f, "format", kFormats));
  return request;
}

// ---- accounts, organisations and access ----

// Ids made by the server (user, invitation and session ids): 1..128 characters.
std::string server_id(const FieldReader& f, const char* name) { return f.string(name, {1, 128}); }

Role assignable_role(const FieldReader& f) {
  static constexpr std::array<std::string_view, 3> kRoles = {"member", "facilitator", "observer"};
  static constexpr std::array<Role, 3> kValues = {Role::member, Role::facilitator, Role::observer};
  if (!f.present("role")) return Role::member;
  return kValues.at(choice(f, "role", kRoles, " (a room has one owner, its creator)"));
}

ClientBody read_orgs(const FieldReader&, const ParseLimits&) { return ListOrgs{}; }

ClientBody read_org(const FieldReader& f, const ParseLimits&) {
  const rapidjson::Value& value = f.require("org");
  if (!value.IsObject()) reject("field 'org' must be an object {\"id\",\"name\",\"domains\"}");
  const FieldReader org(value, "org.");
  PutOrg put;
  put.org.id = org.slug("id");
  put.org.name = org.string("name", {1, 200});
  if (org.present("domains")) {
    const rapidjson::Value& domains = org.array("domains", 0, 20);
    for (rapidjson::SizeType i = 0; i < domains.Size(); ++i) {
      const std::string what = "field 'org.domains[" + std::to_string(i) + "]'";
      put.org.domains.push_back(detail::checked_length(detail::checked_string(domains[i], what), {1, 253}, what));
    }
  }
  return put;
}

ClientBody read_org_admin(const FieldReader& f, const ParseLimits&) {
  return SetOrgAdmin{server_id(f, "user"), f.boolean("admin")};
}

ClientBody read_people(const FieldReader& f, const ParseLimits&) {
  return People{f.optional_string("query", {0, 200}).value_or("")};
}

ClientBody read_invite(const FieldReader& f, const ParseLimits&) {
  Invite invite;
  invite.org = f.slug("org");
  if (f.present("room")) invite.room = f.room();
  invite.role = assignable_role(f);
  invite.guest = f.optional_boolean("guest").value_or(false);
  invite.uses = static_cast<int>(f.optional_integer("uses", 1, 1000).value_or(1));
  invite.hours = static_cast<int>(f.optional_integer("hours", 1, 8760).value_or(72));
  if (invite.guest && !invite.room) reject("field 'room' is required for a guest (a guest is invited into one room)");
  // access.md: "a guest is never made owner or facilitator"; an observer guest listens in.
  if (invite.guest && invite.role != Role::member && invite.role != Role::observer) {
    reject("field 'role' must be member or observer for a guest");
  }
  return invite;
}

ClientBody read_invitations(const FieldReader&, const ParseLimits&) { return ListInvitations{}; }

ClientBody read_revoke(const FieldReader& f, const ParseLimits&) { return RevokeInvitation{server_id(f, "invitation")}; }

ClientBody read_room_settings(const FieldReader& f, const ParseLimits&) {
  static constexpr std::array<std::string_view, 2> kVisibilities = {"open", "private"};
  RoomSettings settings;
  settings.room = f.room();
  if (f.present("visibility")) settings.visibility = static_cast<Visibility>(choice(f, "visibility", kVisibilities));
  settings.label = f.optional_string("label", {1, 64});
  if (const rapidjson::Value* days = f.find("retention_days")) {
    if (days->IsNull()) {
      settings.retention_days = std::optional<int>();
    } else {
      settings.retention_days =
          static_cast<int>(detail::checked_integer(*days, 1, 36500, "field 'retention_days' (or null: forever)"));
    }
  }
  settings.title = f.optional_string("title", {1, 200});
  return settings;
}

ClientBody read_members(const FieldReader& f, const ParseLimits&) { return ListMembers{f.room()}; }

ClientBody read_add(const FieldReader& f, const ParseLimits&) {
  AddMember add;
  add.room = f.room();
  add.user = server_id(f, "user");
  add.role = assignable_role(f);
  add.reason = f.optional_string("reason", {1, 1000});
  return add;
}

ClientBody read_remove(const FieldReader& f, const ParseLimits&) { return RemoveMember{f.room(), server_id(f, "user")}; }

ClientBody read_audit(const FieldReader& f, const ParseLimits&) {
  ReadAudit audit;
  audit.before = f.optional_integer("before", 0, kMaxSafeInteger);
  if (const auto limit = f.optional_integer("limit", 1, 500)) audit.limit = static_cast<int>(*limit);
  return audit;
}

ClientBody read_token(const FieldReader&, const ParseLimits&) { return MakeToken{}; }

ClientBody read_sessions(const FieldReader& f, const ParseLimits&) {
  ListSessions list;
  if (f.present("user")) list.user = server_id(f, "user");
  return list;
}

ClientBody read_end_session(const FieldReader& f, const ParseLimits&) { return EndSession{server_id(f, "session")}; }

using BodyReader = ClientBody (*)(const FieldReader&, const ParseLimits&);
struct FrameType {
  std::string_view name;
  BodyReader read;
};
constexpr std::array<FrameType, 43> kFrameTypes = {{
    {"hello", read_hello},   {"ping", read_ping},     {"status", read_status},     {"create", read_create},
    {"rooms", read_rooms},   {"join", read_join},     {"leave", read_leave},       {"send", read_send},
    {"history", read_history}, {"typing", read_typing}, {"role", read_role},       {"hand", read_hand},
    {"floor", read_floor},   {"timer", read_timer},   {"poll", read_poll},         {"vote", read_vote},
    {"breakout", read_breakout}, {"agenda", read_agenda}, {"lock", read_lock},     {"export", read_export},
    {"orgs", read_orgs},     {"org", read_org},       {"org_admin", read_org_admin}, {"people", read_people},
    {"invite", read_invite}, {"invitations", read_invitations}, {"revoke", read_revoke},
    {"room", read_room_settings}, {"members", read_members}, {"add", read_add},   {"remove", read_remove},
    {"audit", read_audit},   {"token", read_token},   {"sessions", read_sessions}, {"end_session", read_end_session},
    {"edit", detail::read_edit}, {"delete", detail::read_delete}, {"remove_message", detail::read_remove_message},
    {"changes", detail::read_changes}, {"search", detail::read_search},
    {"topics", read_topics}, {"read", read_mark_read},
    {"presence_page", read_presence_page},
}};

ClientBody read_body(const FieldReader& fields, const ParseLimits& limits) {
  const rapidjson::Value* type = fields.find("type");
  if (type == nullptr) reject("field 'type' is required");
  const std::string_view name = detail::checked_string(*type, "field 'type'");
  for (const FrameType& frame_type : kFrameTypes) {
    if (frame_type.name == name) return frame_type.read(fields, limits);
  }
  reject("unknown frame type '" + detail::truncate_chars(name, 40) + "'");
}

FrameError bad_request(std::string message) { return FrameError{std::nullopt, ErrorCode::bad_request, std::move(message)}; }

}  // namespace

std::variant<ClientFrame, FrameError> parse_client_frame(std::string_view text, const ParseLimits& limits) {
  // RapidJSON reads a NUL byte as the end of input, so "{...}\0junk" would pass; JSON never contains one.
  if (text.find('\0') != std::string_view::npos) return bad_request("frame is not valid JSON: it contains a NUL byte");
  if (nests_deeper_than(text, kMaxDepth)) {
    return bad_request("frame nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  detail::SmallDocument small;
  rapidjson::Document& document = small.get();
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    return bad_request(std::string("frame is not valid JSON: ") + rapidjson::GetParseError_En(document.GetParseError()) +
                       " (at byte " + std::to_string(document.GetErrorOffset()) + ")");
  }
  if (!document.IsObject()) return bad_request("frame must be a JSON object");

  const FieldReader fields(document);
  std::optional<RequestId> id;
  try {
    read_id(fields, id);
    ClientBody body = read_body(fields, limits);
    return ClientFrame{std::move(id), std::move(body)};
  } catch (detail::InvalidFrame& invalid) {
    return FrameError{std::move(id), ErrorCode::bad_request, std::move(invalid.message)};
  }
}

const std::string* room_of(const ClientBody& body) {
  return std::visit(
      [](const auto& frame) -> const std::string* {
        if constexpr (requires { frame.room.has_value(); }) {  // optional: `invite`
          return frame.room ? &*frame.room : nullptr;
        } else if constexpr (requires { frame.room; }) {
          return &frame.room;
        } else {
          return nullptr;
        }
      },
      body);
}

}  // namespace outloud::protocol
