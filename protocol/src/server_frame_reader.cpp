// ServerFrameReader: a server's JSON frame -> its kind, `re` and decoded value (server_value_readers).
#include "outloud/protocol/server_frame_reader.hpp"

#include <array>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "outloud/protocol/client_frames.hpp"
#include "server_value_readers.hpp"
#include "utf8.hpp"

namespace outloud::protocol {

namespace {

using detail::FieldReader;
using detail::kMaxSafeInteger;
using detail::reject;

// Parsing a 100-byte message takes about 1 KiB of values; larger frames spill into pool chunks that
// are freed before the next frame.
constexpr std::size_t kValueBufferBytes = 32 * 1024;
constexpr std::size_t kStackBufferBytes = 8 * 1024;
constexpr std::size_t kStackInitialBytes = 1024;
constexpr std::size_t kMaxRecursiveBytes = 2048;  // at most 2048 levels: well within a thread's stack

constexpr std::array<std::pair<std::string_view, ServerFrameKind>, 18> kKinds = {{
    {"message", ServerFrameKind::message},       {"sent", ServerFrameKind::sent},
    {"presence", ServerFrameKind::presence},     {"presence_batch", ServerFrameKind::presence_batch},
    {"typing", ServerFrameKind::typing},         {"welcome", ServerFrameKind::welcome},
    {"pong", ServerFrameKind::pong},             {"ok", ServerFrameKind::ok},
    {"error", ServerFrameKind::error},           {"created", ServerFrameKind::created},
    {"rooms", ServerFrameKind::rooms},           {"joined", ServerFrameKind::joined},
    {"left", ServerFrameKind::left},             {"history", ServerFrameKind::history},
    {"presence_page", ServerFrameKind::presence_page}, {"changed", ServerFrameKind::changed},
    {"found", ServerFrameKind::found},           {"message_batch", ServerFrameKind::message_batch},
}};

ErrorCode error_code(const FieldReader& f) {
  const std::string_view text = f.text("code", {1, 64});
  for (int i = 0; i < kErrorCodeCount; ++i) {
    if (to_string(static_cast<ErrorCode>(i)) == text) return static_cast<ErrorCode>(i);
  }
  reject(f.label("code") + " is not an error code of the protocol");
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

int count(const FieldReader& f, const char* name) { return static_cast<int>(f.integer(name, 0, 1 << 30)); }

void optional_cursor(const FieldReader& f, const char* name, std::optional<std::string>& into) {
  if (f.present(name)) {
    into = std::string(f.text(name, {1, 256}));
  } else {
    into.reset();
  }
}

// An array of objects read with `read_one` into `into`, reusing its elements.
template <class T, class ReadOne>
void read_list(const FieldReader& f, const char* name, std::vector<T>& into, ReadOne read_one,
               std::size_t max_items = 100000) {
  const rapidjson::Value& array = f.array(name, 0, max_items);
  into.resize(array.Size());
  const std::string what = f.path() + name;
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) read_one(detail::element(array, i, what), into[i]);
}

void read_presence_change(const FieldReader& f, PresenceChange& into) {
  detail::assign(into.room, f.slug_text("room"));
  const std::string_view event = f.text("event", {1, 16});
  if (event == "join") {
    into.event = PresenceEvent::join;
  } else if (event == "leave") {
    into.event = PresenceEvent::leave;
  } else if (event == "update") {
    into.event = PresenceEvent::update;
  } else {
    reject(f.label("event") + " must be one of join, leave, update");
  }
  detail::read_user(detail::nested(f, "user"), into.user);
  into.state = detail::read_presence_state(f, "state");
}

}  // namespace

ServerFrameReader::ServerFrameReader()
    : value_buffer_(new char[kValueBufferBytes]),
      stack_buffer_(new char[kStackBufferBytes]),
      value_pool_(value_buffer_.get(), kValueBufferBytes),
      stack_pool_(stack_buffer_.get(), kStackBufferBytes),
      document_(&value_pool_, kStackInitialBytes, &stack_pool_) {}

ServerFrameReader::~ServerFrameReader() = default;

bool ServerFrameReader::read(std::string_view text) {
  kind_ = ServerFrameKind::other;
  type_ = {};
  re_.reset();
  // The values of the previous frame are dropped wholesale (the pool's Free does nothing).
  value_pool_.Clear();
  stack_pool_.Clear();
  if (text.find('\0') != std::string_view::npos) {
    error_ = "frame is not valid JSON: it contains a NUL byte";
    return false;
  }
  // Strings are checked for valid UTF-8 as they are read (FieldReader), not all during the parse.
  // A short frame cannot nest deeply: it is parsed recursively, which is quicker; a longer one
  // iteratively, so that no frame can exhaust the stack.
  // In situ: strings are unescaped in a copy of the text that the reader keeps, not copied out.
  insitu_.assign(text.data(), text.size());
  if (text.size() <= kMaxRecursiveBytes) {
    document_.ParseInsitu(insitu_.data());
  } else {
    document_.ParseInsitu<rapidjson::kParseIterativeFlag>(insitu_.data());
  }
  if (document_.HasParseError()) {
    error_ = std::string("frame is not valid JSON: ") + rapidjson::GetParseError_En(document_.GetParseError()) +
             " (at byte " + std::to_string(document_.GetErrorOffset()) + ")";
    document_.SetNull();
    return false;
  }
  if (!document_.IsObject()) {
    error_ = "frame must be a JSON object";
    return false;
  }
  try {
    decode();
    return true;
  } catch (detail::InvalidFrame& invalid) {
    error_ = std::move(invalid.message);
    kind_ = ServerFrameKind::other;
    return false;
  }
}

void ServerFrameReader::decode() {
  const FieldReader f(document_, {}, detail::Lookup::serialized_order);
  type_ = f.text("type", {1, 64});
  if (const rapidjson::Value* re = f.find("re"); re != nullptr && !re->IsNull()) {
    if (re->IsInt64() && re->GetInt64() >= -kMaxSafeInteger && re->GetInt64() <= kMaxSafeInteger) {
      re_.emplace(std::in_place_type<std::int64_t>, re->GetInt64());
    } else if (re->IsString()) {
      re_.emplace(std::in_place_type<std::string>, f.text("re", {0, kMaxRequestIdChars}));
    } else {
      reject("field 're' must be a string of at most " + std::to_string(kMaxRequestIdChars) +
             " characters or an integer from -2^53 to 2^53");
    }
  }
  for (const auto& [name, kind] : kKinds) {
    if (name == type_) kind_ = kind;
  }
  switch (kind_) {
    case ServerFrameKind::message:
      detail::read_message(f, message_);
      return;
    case ServerFrameKind::sent:
      detail::assign(sent_.room, f.slug_text("room"));
      sent_.seq = f.integer("seq", 1, kMaxSafeInteger);
      sent_.ts = f.integer("ts", 0, kMaxSafeInteger);
      return;
    case ServerFrameKind::presence:
      read_presence_change(f, presence_);
      return;
    case ServerFrameKind::presence_batch:
      detail::assign(presence_batch_.room, f.slug_text("room"));
      presence_batch_.online = count(f, "online");
      read_list(f, "changes", presence_batch_.changes, read_presence_change);
      return;
    case ServerFrameKind::message_batch:
      detail::assign(message_batch_.room, f.slug_text("room"));
      read_list(f, "messages", message_batch_.messages, detail::read_message);
      return;
    case ServerFrameKind::typing:
      detail::assign(typing_.room, f.slug_text("room"));
      detail::read_user(detail::nested(f, "user"), typing_.user);
      detail::assign(typing_.topic, f.text("topic", {1, 60}));
      return;
    case ServerFrameKind::welcome:
      detail::read_user(detail::nested(f, "user"), welcome_.user);
      {
        const FieldReader user = detail::nested(f, "user");
        welcome_.privileges.admin = user.optional_boolean("admin").value_or(false);
        welcome_.privileges.org_admin = user.optional_boolean("org_admin").value_or(false);
      }
      detail::assign(welcome_.session, f.text("session", {0, 256}));
      detail::assign(welcome_.node, f.text("node", {0, 256}));
      welcome_.server_time = f.integer("server_time", 0, kMaxSafeInteger);
      if (f.integer("protocol", 0, kMaxSafeInteger) != kProtocolVersion) {
        reject("field 'protocol' must be " + std::to_string(kProtocolVersion) + " (this client's protocol version)");
      }
      return;
    case ServerFrameKind::pong:
    case ServerFrameKind::ok:
    case ServerFrameKind::other:
      return;
    case ServerFrameKind::error:
      error_frame_.code = error_code(f);
      detail::assign(error_frame_.message, f.text("message", {0, 4096}));
      return;
    case ServerFrameKind::created:
      detail::read_room(detail::nested(f, "room"), created_);
      return;
    case ServerFrameKind::rooms:
      read_list(f, "rooms", rooms_.rooms, [](const FieldReader& listing, RoomListing& into) {
        detail::read_room(listing, into.room);
        into.online = count(listing, "online");
        into.last_seq = listing.integer("last_seq", 0, kMaxSafeInteger);
        into.read = listing.integer("read", 0, kMaxSafeInteger);
        into.mentions = listing.optional_integer("mentions", 0, kMaxSafeInteger).value_or(0);
      });
      optional_cursor(f, "next", rooms_.next);
      return;
    case ServerFrameKind::joined: {
      detail::read_room(detail::nested(f, "room"), joined_.room);
      read_list(f, "presence", joined_.presence, detail::read_presence_entry);
      read_list(f, "messages", joined_.messages, detail::read_message);
      joined_.head = f.integer("head", 0, kMaxSafeInteger);
      joined_.recovered = f.boolean("recovered");
      const FieldReader you = detail::nested(f, "you");
      const std::optional<Role> role = role_from(you.text("role", {1, 16}));
      if (!role) reject(you.label("role") + " must be one of owner, facilitator, member, observer");
      joined_.role = *role;
      const rapidjson::Value& session = f.require("session");
      if (!session.IsObject()) reject(f.label("session") + " must be an object");
      joined_.session_json = compact(session);
      if (f.present("online")) {
        joined_.online = count(f, "online");
        optional_cursor(f, "presence_next", joined_.presence_next);
      } else {
        joined_.online.reset();
        joined_.presence_next.reset();
      }
      return;
    }
    case ServerFrameKind::left:
      detail::assign(left_, f.slug_text("room"));
      return;
    case ServerFrameKind::history:
      detail::assign(history_.room, f.slug_text("room"));
      read_list(f, "messages", history_.messages, detail::read_message);
      return;
    case ServerFrameKind::presence_page:
      detail::assign(presence_page_.room, f.slug_text("room"));
      read_list(f, "presence", presence_page_.presence, detail::read_presence_entry);
      presence_page_.online = count(f, "online");
      optional_cursor(f, "next", presence_page_.next);
      return;
    case ServerFrameKind::changed:
      detail::assign(changed_.room, f.slug_text("room"));
      changed_.version = f.integer("version", 0, kMaxSafeInteger);
      detail::read_message(detail::nested(f, "message"), changed_.message);
      return;
    case ServerFrameKind::found:
      detail::assign(found_.room, f.slug_text("room"));
      detail::assign(found_.query, f.text("query", {1, kMaxSearchQueryChars}));
      read_list(f, "messages", found_.messages, detail::read_message);
      found_.next = f.optional_integer("next", 1, kMaxSafeInteger);
      found_.scanned = f.optional_integer("scanned", 0, kMaxSafeInteger).value_or(0);
      return;
  }
}

}  // namespace outloud::protocol
