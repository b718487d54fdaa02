// Serializers of the replies and events about edited, deleted, removed and found messages.
#include "json_write.hpp"

namespace outloud::protocol {

using detail::JsonOut;

namespace {

void room_and_version(JsonOut& out, std::string_view room, std::int64_t version) {
  out.key("room");
  out.string(room);
  out.key("version");
  out.integer(version);
}

}  // namespace

std::string changed_frame(const ReplyTo& re, std::string_view room, std::int64_t version, const Message& message) {
  JsonOut out;
  out.open_reply("changed", re);
  room_and_version(out, room, version);
  out.key("message");
  out.message(message);
  return out.finish();
}

std::string changes_frame(const ReplyTo& re, std::string_view room, std::int64_t version,
                          const std::vector<Message>& messages, bool more) {
  JsonOut out;
  out.open_reply("changes", re);
  room_and_version(out, room, version);
  out.messages_member(messages);
  out.key("more");
  out.boolean(more);
  return out.finish();
}

std::string found_frame(const ReplyTo& re, std::string_view room, std::string_view query,
                        const std::vector<Message>& messages, std::optional<std::int64_t> next,
                        std::int64_t scanned) {
  JsonOut out;
  out.open_reply("found", re);
  out.key("room");
  out.string(room);
  out.key("query");
  out.string(query);
  out.messages_member(messages);
  out.key("next");
  if (next) {
    out.integer(*next);
  } else {
    out.null();
  }
  if (scanned > 0) {
    out.key("scanned");
    out.integer(scanned);
  }
  return out.finish();
}

}  // namespace outloud::protocol
