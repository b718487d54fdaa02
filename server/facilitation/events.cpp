#include "server/facilitation/events.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "outloud/protocol/server_frames.hpp"

namespace outloud::facilitation {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, std::string_view text) { w.String(text.data(), static_cast<rapidjson::SizeType>(text.size())); }

// USER comes from the protocol's own serializer so its shape cannot drift.
void user(Writer& w, const protocol::User& u) {
  const std::string text = protocol::user_json(u);
  w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
}

void users(Writer& w, const std::vector<protocol::User>& list) {
  w.StartArray();
  for (const auto& u : list) user(w, u);
  w.EndArray();
}

void head(Writer& w, std::string_view type, std::string_view room) {
  w.StartObject();
  w.Key("type");
  str(w, type);
  w.Key("room");
  str(w, room);
}

std::string finish(Writer& w, rapidjson::StringBuffer& buffer) {
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// state, label, ends_at (running only), remaining_ms, duration_ms
void timer_fields(Writer& w, const TimerInfo& timer, std::int64_t now_ms) {
  w.Key("state");
  str(w, to_string(timer.state));
  w.Key("label");
  str(w, timer.label);
  std::int64_t remaining = timer.remaining_ms;
  if (timer.state == TimerState::running) {
    w.Key("ends_at");
    w.Int64(timer.ends_at);
    remaining = std::max<std::int64_t>(0, timer.ends_at - now_ms);
  }
  w.Key("remaining_ms");
  w.Int64(remaining);
  w.Key("duration_ms");
  w.Int64(timer.duration_ms);
}

void poll_object(Writer& w, const Poll& poll) {
  w.StartObject();
  w.Key("id");
  str(w, poll.id);
  w.Key("question");
  str(w, poll.question);
  w.Key("options");
  w.StartArray();
  for (const auto& option : poll.options) str(w, option);
  w.EndArray();
  w.Key("multi");
  w.Bool(poll.multi);
  w.Key("anonymous");
  w.Bool(poll.anonymous);
  w.Key("open");
  w.Bool(poll.open);
  w.Key("counts");
  w.StartArray();
  for (int count : poll_counts(poll)) w.Int(count);
  w.EndArray();
  w.Key("voters");
  w.Int(static_cast<int>(poll.ballots.size()));
  if (!poll.anonymous) {
    w.Key("ballots");
    w.StartObject();
    for (const auto& [voter, choices] : poll.ballots) {
      str(w, voter);
      w.StartArray();
      for (int choice : choices) w.Int(choice);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject();
}

void group_object(Writer& w, const ResolvedGroup& group) {
  w.StartObject();
  w.Key("group");
  str(w, group.room);
  w.Key("members");
  users(w, group.members);
  w.EndObject();
}

void agenda_items(Writer& w, const std::vector<AgendaEntry>& items) {
  w.StartArray();
  for (const auto& item : items) {
    w.StartObject();
    w.Key("title");
    str(w, item.title);
    w.Key("minutes");
    w.Int(item.minutes);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::vector<int> poll_counts(const Poll& poll) {
  std::vector<int> counts(poll.options.size(), 0);
  for (const auto& [voter, choices] : poll.ballots)
    for (int choice : choices)
      if (choice >= 0 && static_cast<std::size_t>(choice) < counts.size()) ++counts[static_cast<std::size_t>(choice)];
  return counts;
}

std::string role_event(std::string_view room, const protocol::User& u, protocol::Role role) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "role", room);
  w.Key("user");
  user(w, u);
  w.Key("role");
  str(w, protocol::to_string(role));
  return finish(w, buffer);
}

std::string hands_event(std::string_view room, const std::vector<protocol::User>& queue) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "hands", room);
  w.Key("queue");
  users(w, queue);
  return finish(w, buffer);
}

std::string floor_event(std::string_view room, const std::optional<protocol::User>& u) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "floor", room);
  w.Key("user");
  if (u) user(w, *u);
  else w.Null();
  return finish(w, buffer);
}

std::string timer_event(std::string_view room, const TimerInfo& timer, std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "timer", room);
  timer_fields(w, timer, now_ms);
  return finish(w, buffer);
}

std::string poll_event(std::string_view room, const Poll& poll) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "poll", room);
  w.Key("poll");
  poll_object(w, poll);
  return finish(w, buffer);
}

std::string breakout_group_event(std::string_view room, const ResolvedGroup& group,
                                 std::optional<std::int64_t> ends_at) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "breakout", room);
  w.Key("state");
  str(w, "open");
  w.Key("group");
  str(w, group.room);
  w.Key("members");
  users(w, group.members);
  if (ends_at) {
    w.Key("ends_at");
    w.Int64(*ends_at);
  }
  return finish(w, buffer);
}

std::string breakout_overview_event(std::string_view room, const std::vector<ResolvedGroup>& groups,
                                    std::optional<std::int64_t> ends_at) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "breakout", room);
  w.Key("state");
  str(w, "open");
  w.Key("groups");
  w.StartArray();
  for (const auto& group : groups) group_object(w, group);
  w.EndArray();
  if (ends_at) {
    w.Key("ends_at");
    w.Int64(*ends_at);
  }
  return finish(w, buffer);
}

std::string breakout_closed_event(std::string_view room) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "breakout", room);
  w.Key("state");
  str(w, "closed");
  return finish(w, buffer);
}

std::string agenda_event(std::string_view room, const std::vector<AgendaEntry>& items, int current) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "agenda", room);
  w.Key("items");
  agenda_items(w, items);
  w.Key("current");
  w.Int(current);
  return finish(w, buffer);
}

std::string lock_event(std::string_view room, bool locked) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  head(w, "lock", room);
  w.Key("locked");
  w.Bool(locked);
  return finish(w, buffer);
}

std::string session_object(const SessionState& state, const SessionView& view, std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("hands");
  users(w, view.hands);
  w.Key("floor");
  if (view.floor) user(w, *view.floor);
  else w.Null();
  w.Key("timer");
  if (state.timer) {
    w.StartObject();
    timer_fields(w, *state.timer, now_ms);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("poll");
  auto open_poll = std::find_if(state.polls.begin(), state.polls.end(), [](const Poll& p) { return p.open; });
  if (open_poll != state.polls.end()) poll_object(w, *open_poll);
  else w.Null();
  w.Key("polls");  // extension: every poll so far, closed ones with their result
  w.StartArray();
  for (const auto& poll : state.polls) poll_object(w, poll);
  w.EndArray();
  w.Key("agenda");
  w.StartObject();
  w.Key("items");
  agenda_items(w, state.agenda);
  w.Key("current");
  w.Int(state.agenda_current);
  w.EndObject();
  w.Key("breakouts");
  w.StartObject();
  w.Key("open");
  w.Bool(state.breakouts.open);
  w.Key("groups");
  w.StartArray();
  for (const auto& group : view.groups) group_object(w, group);
  w.EndArray();
  if (state.breakouts.open && state.breakouts.ends_at) {
    w.Key("ends_at");
    w.Int64(*state.breakouts.ends_at);
  }
  w.EndObject();
  w.Key("locked");
  w.Bool(state.locked);
  w.Key("roles");  // extension: the owner and everyone whose role is not `member`
  w.StartArray();
  for (const auto& [u, role] : view.roles) {
    w.StartObject();
    w.Key("user");
    user(w, u);
    w.Key("role");
    str(w, protocol::to_string(role));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace outloud::facilitation
