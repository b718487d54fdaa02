#include "json_write.hpp"

#include "utf8.hpp"

namespace outloud::protocol::detail {

void JsonOut::key(std::string_view name) {
  writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}

void JsonOut::string(std::string_view text) {
  if (is_valid_utf8(text)) {
    writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    return;
  }
  const std::string repaired = repair_utf8(text);
  writer_.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
}

void JsonOut::raw_object(std::string_view json) {
  if (json.empty()) json = "{}";
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void JsonOut::re(const ReplyTo& id) {
  if (!id) return;
  key("re");
  if (const auto* number = std::get_if<std::int64_t>(&*id)) {
    integer(*number);
  } else {
    string(std::get<std::string>(*id));
  }
}

void JsonOut::user(const User& user, const Privileges& privileges) {
  start_object();
  key("id");
  string(user.id);
  key("name");
  string(user.name);
  key("org");
  string(user.org);
  if (user.guest) {
    key("guest");
    boolean(true);
  }
  if (privileges.admin) {
    key("admin");
    boolean(true);
  }
  if (privileges.org_admin) {
    key("org_admin");
    boolean(true);
  }
  end_object();
}

void JsonOut::room_members(const Room& room) {
  key("id");
  string(room.id);
  key("title");
  string(room.title);
  key("kind");
  string(to_string(room.kind));
  key("created_by");
  string(room.created_by);
  key("created_at");
  integer(room.created_at);
  if (room.kind == RoomKind::breakout && room.parent) {
    key("parent");
    string(*room.parent);
  }
  key("org");
  string(room.org);
  key("visibility");
  string(to_string(room.visibility));
  key("label");
  string(room.label);
  key("retention_days");
  if (room.retention_days) {
    integer(*room.retention_days);
  } else {
    null();
  }
  if (room.archived) {
    key("archived");
    boolean(true);
  }
}

void JsonOut::room(const Room& room) {
  start_object();
  room_members(room);
  end_object();
}

void JsonOut::presence(const PresenceEntry& entry) {
  start_object();
  key("user");
  user(entry.user);
  key("state");
  string(to_string(entry.state));
  key("since");
  integer(entry.since);
  end_object();
}

void JsonOut::message(const Message& message) {
  start_object();
  type("message");
  key("room");
  string(message.room);
  key("seq");
  integer(message.seq);
  key("ts");
  integer(message.ts);
  key("from");
  user(message.from);
  key("topic");
  string(message.topic);
  key("text");
  string(message.text);
  key("tag");
  if (message.tag) {
    string(to_string(*message.tag));
  } else {
    null();
  }
  key("reply_to");
  if (message.reply_to) {
    integer(*message.reply_to);
  } else {
    null();
  }
  key("nonce");
  if (message.nonce) {
    string(*message.nonce);
  } else {
    null();
  }
  if (message.edited_at) {
    key("edited_at");
    integer(*message.edited_at);
  }
  if (message.deleted) {
    key("deleted");
    start_object();
    key("at");
    integer(message.deleted->at);
    key("by");
    user(message.deleted->by);
    if (message.deleted->reason) {
      key("reason");
      string(*message.deleted->reason);
    }
    end_object();
  }
  end_object();
}

void JsonOut::messages_member(const std::vector<Message>& messages) {
  key("messages");
  start_array();
  for (const Message& each : messages) message(each);
  end_array();
}

}  // namespace outloud::protocol::detail
