// Streaming JSON output (RapidJSON Writer, no DOM) for the server frames and their building blocks.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "outloud/protocol/server_frames.hpp"

namespace outloud::protocol::detail {

class JsonOut {
 public:
  JsonOut() : writer_(buffer_) {}

  void start_object() { writer_.StartObject(); }
  void end_object() { writer_.EndObject(); }
  void start_array() { writer_.StartArray(); }
  void end_array() { writer_.EndArray(); }
  void key(std::string_view name);
  // Invalid UTF-8 is written with U+FFFD in its place, so every frame is valid UTF-8 JSON.
  void string(std::string_view text);
  void integer(std::int64_t value) { writer_.Int64(value); }
  void boolean(bool value) { writer_.Bool(value); }
  void null() { writer_.Null(); }
  void raw_object(std::string_view json);  // already serialized JSON object; empty means {}

  void type(std::string_view name) {
    key("type");
    string(name);
  }
  void re(const ReplyTo& id);  // the `re` member, omitted when there is no id
  // Opens {"type":T,"re":ID, ... (most replies); finish() closes it and answers the text.
  void open_reply(std::string_view name, const ReplyTo& id) {
    start_object();
    type(name);
    re(id);
  }
  std::string finish() {
    end_object();
    return str();
  }
  void user(const User& user, const Privileges& privileges = {});
  void room_members(const Room& room);  // ROOM's members, inside an object the caller opened
  void room(const Room& room);
  void presence(const PresenceEntry& entry);
  void message(const Message& message);  // MESSAGE, with "type":"message"
  void messages_member(const std::vector<Message>& messages);  // "messages":[MESSAGE…]

  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace outloud::protocol::detail
