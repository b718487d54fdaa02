// The live room list: new and changed rooms reach, on every node, the connections of everyone who
// may see them (access.md: private rooms their members, guests only their rooms); breakout groups
// are archived when their groups close. The same notice channel carries a person's mentions and read
// markers to all their connections. A notice is "<routing JSON>\n<client frame>" on the bus.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

namespace {

// Room ids are slugs, so this can never be a room's channel.
constexpr const char* kNoticeChannel = "!notices";

std::string routing_json(const char* to, const std::vector<std::string>& users, const p::Room* room,
                         bool became_private = false) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("to");
  w.String(to);
  w.Key("users");
  w.StartArray();
  for (const auto& user : users) w.String(user.c_str(), static_cast<rapidjson::SizeType>(user.size()));
  w.EndArray();
  if (room) {
    // A breakout group has no owner of its own to tell (a group stored earlier names whoever opened
    // it): its session's members, the owner among them, are in `users`.
    const std::string owner = is_group(*room) ? std::string() : room->created_by;
    w.Key("owner");
    w.String(owner.c_str(), static_cast<rapidjson::SizeType>(owner.size()));
    w.Key("open");
    w.Bool(room->visibility == p::Visibility::open);
    w.Key("became_private");
    w.Bool(became_private);
  }
  w.EndObject();
  return buffer.GetString();
}

bool closes_breakouts(const facilitation::Outcome& outcome) {
  return std::any_of(outcome.events.begin(), outcome.events.end(), [](const facilitation::Outbound& event) {
    return event.payload.find("\"type\":\"breakout\"") != std::string::npos &&
           event.payload.find("\"state\":\"closed\"") != std::string::npos;
  });
}

}  // namespace

void Hub::Impl::subscribe_notices() { subscribe_own_channel(kNoticeChannel, "room list and mentions from other nodes"); }

bool Hub::Impl::is_notice(const backend::BusEvent& event) const {
  return event.kind == backend::BusEvent::Kind::control && event.room == kNoticeChannel;
}

void Hub::Impl::announce_room(const p::Room& room, bool became_private) {
  auto publish = [this, room, became_private](std::vector<std::string> members) {
    backend::BusEvent event;
    event.kind = backend::BusEvent::Kind::control;
    event.room = kNoticeChannel;
    event.payload = make_frame(routing_json("room", members, &room, became_private) + "\n" + p::room_list_event("upsert", room));
    backends_.bus.publish(std::move(event), [id = room.id](Result<backend::Unit> published) {
      if (!published) log::warn("room list change of %s not published: %s", id.c_str(), published.error().message.c_str());
    });
  };
  if (!accounts_mode()) return publish({});
  // Breakout groups are behind their session's walls: its members see them.
  const auto& walls = access_room_id(room);
  backends_.accounts->members(walls, on_strand<std::vector<accounts::MemberView>>(
      // A room's member list travels with its notice; beyond max_notice_members the notice goes to
      // the room's members present on each node plus whoever sees it as an open room.
      [publish, id = room.id, max = options_.max_notice_members](Result<std::vector<accounts::MemberView>> members) {
        if (!members) {
          log::warn("room list change of %s: members not read: %s", id.c_str(), members.error().message.c_str());
          return;
        }
        std::vector<std::string> ids;
        for (const auto& member : members.value()) {
          if (ids.size() >= max) break;
          ids.push_back(member.user.id);
        }
        publish(std::move(ids));
      }));
}

void Hub::Impl::notify_users(std::vector<std::string> users, std::string frame) {
  if (users.empty()) return;
  backend::BusEvent event;
  event.kind = backend::BusEvent::Kind::control;
  event.room = kNoticeChannel;
  event.payload = make_frame(routing_json("users", users, nullptr) + "\n" + frame);
  backends_.bus.publish(std::move(event), [](Result<backend::Unit> published) {
    if (!published) log::warn("notice not published: %s", published.error().message.c_str());
  });
}

void Hub::Impl::on_notice(const backend::BusEvent& event) {
  if (!event.payload) return;
  const std::string_view text(*event.payload);
  const auto cut = text.find('\n');
  if (cut == std::string_view::npos) return;
  rapidjson::Document routing;
  routing.Parse(text.data(), cut);
  if (routing.HasParseError() || !routing.IsObject()) return;
  auto to = routing.FindMember("to");
  auto users = routing.FindMember("users");
  if (to == routing.MemberEnd() || !to->value.IsString() || users == routing.MemberEnd() || !users->value.IsArray()) {
    return;
  }
  std::set<std::string> named;
  for (const auto& user : users->value.GetArray()) {
    if (user.IsString()) named.emplace(user.GetString(), user.GetStringLength());
  }
  const Frame frame = make_frame(std::string(text.substr(cut + 1)));
  if (std::string_view(to->value.GetString()) == "users") {
    for (auto& [id, conn] : connections_) {
      if (conn.user && named.count(conn.user->id)) conn.connection->send(frame);
    }
    return;
  }
  // A room: everyone in open mode; in accounts mode its owner and members, and every non-guest when
  // it is open. When it has just become private, the others are told to drop it; otherwise they
  // hear nothing, not even its id.
  auto owner = routing.FindMember("owner");
  auto open = routing.FindMember("open");
  auto private_now = routing.FindMember("became_private");
  const bool became_private =
      private_now != routing.MemberEnd() && private_now->value.IsBool() && private_now->value.GetBool();
  const std::string owner_id = owner != routing.MemberEnd() && owner->value.IsString() ? owner->value.GetString() : "";
  const bool is_open = open == routing.MemberEnd() || !open->value.IsBool() || open->value.GetBool();
  Frame removal;
  for (auto& [id, conn] : connections_) {
    // Only connections that listed rooms follow the list: a script or bot that never asked hears nothing.
    if (!conn.user || !conn.follows_room_list) continue;
    const auto& user = *conn.user;
    const bool sees_it = !accounts_mode() || user.id == owner_id || named.count(user.id) || (is_open && !user.guest);
    if (sees_it) {
      conn.connection->send(frame);
    } else if (became_private && !user.guest) {
      if (!removal) {
        // The frame's room, read back once, for the `remove` event.
        rapidjson::Document upsert;
        upsert.Parse(text.data() + cut + 1, text.size() - cut - 1);
        auto room = upsert.IsObject() ? upsert.FindMember("room") : upsert.MemberEnd();
        if (room == upsert.MemberEnd() || !room->value.IsObject()) return;
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
        w.StartObject();
        w.Key("type");
        w.String("room_list");
        w.Key("event");
        w.String("remove");
        w.Key("room");
        w.StartObject();
        auto room_id = room->value.FindMember("id");
        if (room_id == room->value.MemberEnd() || !room_id->value.IsString()) return;
        w.Key("id");
        w.String(room_id->value.GetString(), room_id->value.GetStringLength());
        w.EndObject();
        w.EndObject();
        removal = make_frame(std::string(buffer.GetString(), buffer.GetSize()));
      }
      conn.connection->send(removal);
    }
  }
}

void Hub::Impl::finish_rooms_listing(std::uint64_t conn_id, const Request& re, std::vector<p::RoomListing> listing,
                                     std::optional<std::string> next) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  std::vector<std::string> ids;
  ids.reserve(listing.size());
  for (const auto& entry : listing) ids.push_back(entry.room.id);
  backends_.store.read_progress(
      conn->user->id, std::move(ids),
      on_strand<std::vector<backend::RoomProgress>>([this, conn_id, re, listing = std::move(listing),
                                                     next = std::move(next)](
                                                        Result<std::vector<backend::RoomProgress>> progress) mutable {
        if (!progress) return fail(conn_id, re, progress.error());
        for (std::size_t i = 0; i < listing.size() && i < progress.value().size(); ++i) {
          listing[i].last_seq = progress.value()[i].last_seq;
          listing[i].read = progress.value()[i].read;
          listing[i].mentions = progress.value()[i].mentions;
        }
        reply(conn_id, re, p::rooms_frame(re, listing, next));
      }));
}

void Hub::Impl::note_breakout_rooms(const std::string& session, const facilitation::Outcome& outcome) {
  if (!outcome.changed || !closes_breakouts(outcome)) return;
  log::info("breakout groups of %s closed: archiving their rooms", session.c_str());
  for (const auto& group : outcome.state.breakouts.groups) set_archived(group.room, true);
}

void Hub::Impl::set_archived(const std::string& room, bool archived) {
  backends_.store.get_room(room, on_strand<std::optional<p::Room>>([this, archived](Result<std::optional<p::Room>> found) {
    if (!found || !found.value()) return;
    auto meta = *found.value();
    if (meta.archived == archived) return announce_room(meta);
    meta.archived = archived;
    backends_.store.update_room(meta, on_strand<p::Room>([this](Result<p::Room> updated) {
      if (!updated) return log::warn("archiving a breakout room failed: %s", updated.error().message.c_str());
      if (auto* local = local_room(updated.value().id)) local->meta = updated.value();
      publish_control(updated.value().id, "{\"refresh\":\"1\"}");
      announce_room(updated.value());
    }));
  }));
}

}  // namespace outloud::core
