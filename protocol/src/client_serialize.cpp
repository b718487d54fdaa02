// client_frame_json: the frames a client sends, one writer each (the mirror of parse_client_frame).
#include "outloud/protocol/client_serialize.hpp"

#include "json_write.hpp"

namespace outloud::protocol {

namespace {

using detail::JsonOut;

// {"type":T,"id":ID — the caller adds the members and finish() closes it.
void open_request(JsonOut& out, std::string_view type, const OptRequestId& id) {
  out.start_object();
  out.type(type);
  if (!id) return;
  out.key("id");
  if (const auto* number = std::get_if<std::int64_t>(&*id)) {
    out.integer(*number);
  } else {
    out.string(std::get<std::string>(*id));
  }
}

void member(JsonOut& out, std::string_view name, std::string_view value) {
  out.key(name);
  out.string(value);
}
// Without it a string literal would pick the bool overload (a pointer converts to bool first).
void member(JsonOut& out, std::string_view name, const char* value) { member(out, name, std::string_view(value)); }
void member(JsonOut& out, std::string_view name, std::int64_t value) {
  out.key(name);
  out.integer(value);
}
void member(JsonOut& out, std::string_view name, bool value) {
  out.key(name);
  out.boolean(value);
}
template <class T>
void optional_member(JsonOut& out, std::string_view name, const std::optional<T>& value) {
  if (value) member(out, name, *value);
}
void optional_member(JsonOut& out, std::string_view name, const std::optional<int>& value) {
  if (value) member(out, name, static_cast<std::int64_t>(*value));
}

// Frames that name only their room.
std::string room_frame(std::string_view type, const OptRequestId& id, std::string_view room) {
  JsonOut out;
  open_request(out, type, id);
  member(out, "room", room);
  return out.finish();
}

}  // namespace

std::string client_frame_json(const OptRequestId& id, const Hello& frame) {
  JsonOut out;
  open_request(out, "hello", id);
  optional_member(out, "token", frame.token);
  optional_member(out, "name", frame.name);
  optional_member(out, "org", frame.org);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Ping&) {
  JsonOut out;
  open_request(out, "ping", id);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Status& frame) {
  JsonOut out;
  open_request(out, "status", id);
  member(out, "state", to_string(frame.state));
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Create& frame) {
  JsonOut out;
  open_request(out, "create", id);
  member(out, "room", frame.room);
  member(out, "title", frame.title);
  member(out, "kind", to_string(frame.kind));
  if (frame.visibility) member(out, "visibility", to_string(*frame.visibility));
  optional_member(out, "label", frame.label);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const ListRooms& frame) {
  JsonOut out;
  open_request(out, "rooms", id);
  optional_member(out, "limit", frame.limit);
  optional_member(out, "after", frame.after);
  if (frame.archived) member(out, "archived", true);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Join& frame) {
  JsonOut out;
  open_request(out, "join", id);
  member(out, "room", frame.room);
  optional_member(out, "since", frame.since);
  optional_member(out, "limit", frame.limit);
  optional_member(out, "presence_limit", frame.presence_limit);
  if (frame.message_batches) member(out, "message_batches", true);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const PresencePage& frame) {
  JsonOut out;
  open_request(out, "presence_page", id);
  member(out, "room", frame.room);
  optional_member(out, "after", frame.after);
  optional_member(out, "limit", frame.limit);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const MarkRead& frame) {
  JsonOut out;
  open_request(out, "read", id);
  member(out, "room", frame.room);
  member(out, "seq", frame.seq);
  optional_member(out, "topic", frame.topic);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Leave& frame) { return room_frame("leave", id, frame.room); }

std::string client_frame_json(const OptRequestId& id, const Send& frame) {
  JsonOut out;
  open_request(out, "send", id);
  member(out, "room", frame.room);
  member(out, "text", frame.text);
  member(out, "topic", frame.topic);
  if (frame.tag) member(out, "tag", to_string(*frame.tag));
  optional_member(out, "reply_to", frame.reply_to);
  optional_member(out, "nonce", frame.nonce);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const History& frame) {
  JsonOut out;
  open_request(out, "history", id);
  member(out, "room", frame.room);
  optional_member(out, "before", frame.before);
  optional_member(out, "after", frame.after);
  member(out, "limit", static_cast<std::int64_t>(frame.limit));
  optional_member(out, "topic", frame.topic);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Search& frame) {
  JsonOut out;
  open_request(out, "search", id);
  member(out, "room", frame.room);
  member(out, "query", frame.query);
  optional_member(out, "before", frame.before);
  member(out, "limit", static_cast<std::int64_t>(frame.limit));
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Edit& frame) {
  JsonOut out;
  open_request(out, "edit", id);
  member(out, "room", frame.room);
  member(out, "seq", frame.seq);
  member(out, "text", frame.text);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Delete& frame) {
  JsonOut out;
  open_request(out, "delete", id);
  member(out, "room", frame.room);
  member(out, "seq", frame.seq);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const RemoveMessage& frame) {
  JsonOut out;
  open_request(out, "remove_message", id);
  member(out, "room", frame.room);
  member(out, "seq", frame.seq);
  member(out, "reason", frame.reason);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Hand& frame) {
  JsonOut out;
  open_request(out, "hand", id);
  member(out, "room", frame.room);
  member(out, "up", frame.up);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Floor& frame) {
  JsonOut out;
  open_request(out, "floor", id);
  member(out, "room", frame.room);
  out.key("user");
  if (frame.user) {
    out.string(*frame.user);
  } else {
    out.null();  // the next in the queue
  }
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Timer& frame) {
  static constexpr std::string_view kActions[] = {"start", "pause", "resume", "stop"};
  JsonOut out;
  open_request(out, "timer", id);
  member(out, "room", frame.room);
  member(out, "action", kActions[static_cast<int>(frame.action)]);
  if (frame.action == TimerAction::start) {
    member(out, "seconds", static_cast<std::int64_t>(frame.seconds));
    member(out, "label", frame.label);
  }
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const PollOpen& frame) {
  JsonOut out;
  open_request(out, "poll", id);
  member(out, "room", frame.room);
  member(out, "action", "open");
  member(out, "question", frame.question);
  out.key("options");
  out.start_array();
  for (const std::string& option : frame.options) out.string(option);
  out.end_array();
  member(out, "multi", frame.multi);
  member(out, "anonymous", frame.anonymous);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const PollClose& frame) {
  JsonOut out;
  open_request(out, "poll", id);
  member(out, "room", frame.room);
  member(out, "action", "close");
  member(out, "poll", frame.poll);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const Vote& frame) {
  JsonOut out;
  open_request(out, "vote", id);
  member(out, "room", frame.room);
  member(out, "poll", frame.poll);
  out.key("choices");
  out.start_array();
  for (int choice : frame.choices) out.integer(choice);
  out.end_array();
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const BreakoutOpen& frame) {
  static constexpr std::string_view kStrategies[] = {"mix", "random", "manual"};
  JsonOut out;
  open_request(out, "breakout", id);
  member(out, "room", frame.room);
  member(out, "action", "open");
  optional_member(out, "groups", frame.groups);
  optional_member(out, "size", frame.size);
  member(out, "strategy", kStrategies[static_cast<int>(frame.strategy)]);
  if (!frame.assign.empty()) {
    out.key("assign");
    out.start_object();
    for (const auto& [user, group] : frame.assign) member(out, user, static_cast<std::int64_t>(group));
    out.end_object();
  }
  optional_member(out, "minutes", frame.minutes);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const BreakoutBroadcast& frame) {
  JsonOut out;
  open_request(out, "breakout", id);
  member(out, "room", frame.room);
  member(out, "action", "broadcast");
  member(out, "text", frame.text);
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const BreakoutClose& frame) {
  JsonOut out;
  open_request(out, "breakout", id);
  member(out, "room", frame.room);
  member(out, "action", "close");
  return out.finish();
}

std::string client_frame_json(const OptRequestId& id, const BreakoutPlace& frame) {
  JsonOut out;
  open_request(out, "breakout", id);
  member(out, "room", frame.room);
  member(out, "action", "place");
  member(out, "user", frame.user);
  optional_member(out, "group", frame.group);
  return out.finish();
}

}  // namespace outloud::protocol
