// Serializers of the topics, read-marker, mention and room-list frames (OutLoud extensions).
#include "json_write.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "utf8.hpp"

namespace outloud::protocol {

using detail::JsonOut;

namespace {
// A mention carries the start of the message, enough for a notification.
constexpr std::size_t kMentionExcerptChars = 200;
}  // namespace

std::string topics_frame(const ReplyTo& re, std::string_view room, const std::vector<TopicSummary>& topics,
                         std::optional<std::int64_t> next) {
  JsonOut out;
  out.open_reply("topics", re);
  out.key("room");
  out.string(room);
  out.key("topics");
  out.start_array();
  for (const auto& topic : topics) {
    out.start_object();
    out.key("topic");
    out.string(topic.topic);
    out.key("count");
    out.integer(topic.count);
    out.key("last_seq");
    out.integer(topic.last_seq);
    out.key("last_ts");
    out.integer(topic.last_ts);
    out.key("unread");
    out.integer(topic.unread);
    out.end_object();
  }
  out.end_array();
  if (next) {
    out.key("next");
    out.integer(*next);
  }
  return out.finish();
}

std::string read_event(std::string_view room, std::string_view topic, std::int64_t seq) {
  JsonOut out;
  out.start_object();
  out.type("read");
  out.key("room");
  out.string(room);
  out.key("topic");
  if (topic.empty()) {
    out.null();
  } else {
    out.string(topic);
  }
  out.key("seq");
  out.integer(seq);
  return out.finish();
}

std::string mention_event(const Message& message) {
  JsonOut out;
  out.start_object();
  out.type("mention");
  out.key("room");
  out.string(message.room);
  out.key("seq");
  out.integer(message.seq);
  out.key("ts");
  out.integer(message.ts);
  out.key("from");
  out.user(message.from);
  out.key("topic");
  out.string(message.topic);
  out.key("text");
  out.string(detail::truncate_chars(message.text, kMentionExcerptChars));
  return out.finish();
}

std::string room_list_event(std::string_view event, const Room& room) {
  JsonOut out;
  out.start_object();
  out.type("room_list");
  out.key("event");
  out.string(event);
  out.key("room");
  out.room(room);
  return out.finish();
}

std::string room_list_refresh_event() {
  JsonOut out;
  out.start_object();
  out.type("room_list");
  out.key("event");
  out.string("refresh");
  return out.finish();
}

}  // namespace outloud::protocol
