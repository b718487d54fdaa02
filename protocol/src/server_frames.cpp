// Serializers of the server's frames; shapes as in the contract (spec/protocol.md).
#include "outloud/protocol/server_frames.hpp"

#include "json_write.hpp"

namespace outloud::protocol {

using detail::JsonOut;

namespace {

// Most replies are {"type":T,"re":ID,...}: this opens that object.
void open_reply(JsonOut& out, std::string_view type, const ReplyTo& re) { out.open_reply(type, re); }

std::string close(JsonOut& out) { return out.finish(); }

void room_id_member(JsonOut& out, std::string_view room) {
  out.key("room");
  out.string(room);
}

}  // namespace

std::string error_frame(const ReplyTo& re, ErrorCode code, std::string_view message) {
  JsonOut out;
  open_reply(out, "error", re);
  out.key("code");
  out.string(to_string(code));
  out.key("message");
  out.string(message);
  return close(out);
}

std::string welcome_frame(const ReplyTo& re, const User& user, std::string_view session, std::string_view node,
                          std::int64_t server_time, const Privileges& privileges) {
  JsonOut out;
  open_reply(out, "welcome", re);
  out.key("user");
  out.user(user, privileges);
  out.key("session");
  out.string(session);
  out.key("node");
  out.string(node);
  out.key("server_time");
  out.integer(server_time);
  out.key("protocol");
  out.integer(kProtocolVersion);
  return close(out);
}

std::string pong_frame(const ReplyTo& re) {
  JsonOut out;
  open_reply(out, "pong", re);
  return close(out);
}

std::string ok_frame(const ReplyTo& re) {
  JsonOut out;
  open_reply(out, "ok", re);
  return close(out);
}

std::string created_frame(const ReplyTo& re, const Room& room) {
  JsonOut out;
  open_reply(out, "created", re);
  out.key("room");
  out.room(room);
  return close(out);
}

std::string rooms_frame(const ReplyTo& re, const std::vector<RoomListing>& rooms, const std::optional<std::string>& next) {
  JsonOut out;
  open_reply(out, "rooms", re);
  out.key("rooms");
  out.start_array();
  for (const RoomListing& listing : rooms) {
    out.start_object();
    out.room_members(listing.room);
    out.key("online");
    out.integer(listing.online);
    out.key("last_seq");
    out.integer(listing.last_seq);
    out.key("read");
    out.integer(listing.read);
    out.key("mentions");
    out.integer(listing.mentions);
    out.end_object();
  }
  out.end_array();
  if (next) {
    out.key("next");
    out.string(*next);
  }
  return close(out);
}

std::string joined_frame(const ReplyTo& re, const JoinedReply& reply) {
  JsonOut out;
  open_reply(out, "joined", re);
  out.key("room");
  out.room(reply.room);
  out.key("presence");
  out.start_array();
  for (const PresenceEntry& entry : reply.presence) out.presence(entry);
  out.end_array();
  out.messages_member(reply.messages);
  out.key("head");
  out.integer(reply.head);
  out.key("recovered");
  out.boolean(reply.recovered);
  out.key("you");
  out.start_object();
  out.key("role");
  out.string(to_string(reply.role));
  out.end_object();
  out.key("session");
  out.raw_object(reply.session_json);
  if (reply.online) {
    out.key("online");
    out.integer(*reply.online);
    out.key("presence_next");
    if (reply.presence_next) {
      out.string(*reply.presence_next);
    } else {
      out.null();
    }
  }
  return close(out);
}

std::string presence_page_frame(const ReplyTo& re, std::string_view room, const std::vector<PresenceEntry>& presence,
                                const std::optional<std::string>& next, int online) {
  JsonOut out;
  open_reply(out, "presence_page", re);
  room_id_member(out, room);
  out.key("presence");
  out.start_array();
  for (const PresenceEntry& entry : presence) out.presence(entry);
  out.end_array();
  out.key("online");
  out.integer(online);
  out.key("next");
  if (next) {
    out.string(*next);
  } else {
    out.null();
  }
  return close(out);
}

std::string presence_batch_event(std::string_view room, const std::vector<std::string_view>& changes, int online) {
  JsonOut out;
  open_reply(out, "presence_batch", std::nullopt);
  room_id_member(out, room);
  out.key("online");
  out.integer(online);
  out.key("changes");
  out.start_array();
  for (const std::string_view change : changes) out.raw_object(change);
  out.end_array();
  return close(out);
}

std::string message_batch_event(std::string_view room, const std::vector<std::string_view>& messages) {
  JsonOut out;
  open_reply(out, "message_batch", std::nullopt);
  room_id_member(out, room);
  out.key("messages");
  out.start_array();
  for (const std::string_view message : messages) out.raw_object(message);
  out.end_array();
  return close(out);
}

std::string left_frame(const ReplyTo& re, std::string_view room) {
  JsonOut out;
  open_reply(out, "left", re);
  room_id_member(out, room);
  return close(out);
}

std::string sent_frame(const ReplyTo& re, std::string_view room, std::int64_t seq, std::int64_t ts) {
  JsonOut out;
  open_reply(out, "sent", re);
  room_id_member(out, room);
  out.key("seq");
  out.integer(seq);
  out.key("ts");
  out.integer(ts);
  return close(out);
}

std::string history_frame(const ReplyTo& re, std::string_view room, const std::vector<Message>& messages) {
  JsonOut out;
  open_reply(out, "history", re);
  room_id_member(out, room);
  out.messages_member(messages);
  return close(out);
}

std::string message_event(const Message& message) { return message_json(message); }

std::string typing_event(std::string_view room, const User& user, std::string_view topic) {
  JsonOut out;
  open_reply(out, "typing", std::nullopt);
  room_id_member(out, room);
  out.key("user");
  out.user(user);
  out.key("topic");
  out.string(topic);
  return close(out);
}

std::string presence_event(std::string_view room, PresenceEvent event, const User& user, PresenceState state) {
  JsonOut out;
  open_reply(out, "presence", std::nullopt);
  room_id_member(out, room);
  out.key("event");
  out.string(to_string(event));
  out.key("user");
  out.user(user);
  out.key("state");
  out.string(to_string(state));
  return close(out);
}

std::string user_json(const User& user) {
  JsonOut out;
  out.user(user);
  return out.str();
}

std::string room_json(const Room& room) {
  JsonOut out;
  out.room(room);
  return out.str();
}

std::string message_json(const Message& message) {
  JsonOut out;
  out.message(message);
  return out.str();
}

}  // namespace outloud::protocol
