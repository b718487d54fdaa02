#include "server/facilitation/events.hpp"

#include <algorithm>

#include "outloud/protocol/server_frames.hpp"
#include "server/facilitation/json_writers.hpp"

namespace outloud::facilitation {
namespace {

using json::Writer;
using json::write_string;

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

// {"type": type, "room": room, <what `fields` writes>}
template <typename Fields>
std::string event(std::string_view type, std::string_view room, Fields&& fields) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("type");
  write_string(w, type);
  w.Key("room");
  write_string(w, room);
  fields(w);
  w.EndObject();
  return json::text_of(buffer);
}

// A client sees ends_at only while the timer runs, and the time left as of now.
void timer_fields(Writer& w, const TimerInfo& timer, std::int64_t now_ms) {
  if (timer.state == TimerState::running)
    json::write_timer_fields(w, timer, timer.ends_at, std::max<std::int64_t>(0, timer.ends_at - now_ms));
  else
    json::write_timer_fields(w, timer, std::nullopt, timer.remaining_ms);
}

// Results for everyone; who voted what only when the poll is not anonymous.
void poll_object(Writer& w, const Poll& poll) {
  w.StartObject();
  json::write_poll_fields(w, poll);
  w.Key("counts");
  w.StartArray();
  for (int count : poll_counts(poll)) w.Int(count);
  w.EndArray();
  w.Key("voters");
  w.Int(static_cast<int>(poll.ballots.size()));
  if (!poll.anonymous) {
    w.Key("ballots");
    json::write_ballots(w, poll.ballots);
  }
  w.EndObject();
}

void group_object(Writer& w, const ResolvedGroup& group) {
  w.StartObject();
  w.Key("group");
  write_string(w, group.room);
  w.Key("members");
  users(w, group.members);
  w.EndObject();
}

void role_entry(Writer& w, const protocol::User& u, protocol::Role role) {
  w.Key("user");
  user(w, u);
  w.Key("role");
  write_string(w, protocol::to_string(role));
}

void agenda_fields(Writer& w, const std::vector<AgendaEntry>& items, int current) {
  w.Key("items");
  json::write_agenda_items(w, items);
  w.Key("current");
  w.Int(current);
}

void optional_user(Writer& w, const std::optional<protocol::User>& u) {
  if (u) user(w, *u);
  else w.Null();
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
  return event("role", room, [&](Writer& w) { role_entry(w, u, role); });
}

std::string hands_event(std::string_view room, const std::vector<protocol::User>& queue) {
  return event("hands", room, [&](Writer& w) {
    w.Key("queue");
    users(w, queue);
  });
}

std::string floor_event(std::string_view room, const std::optional<protocol::User>& u) {
  return event("floor", room, [&](Writer& w) {
    w.Key("user");
    optional_user(w, u);
  });
}

std::string timer_event(std::string_view room, const TimerInfo& timer, std::int64_t now_ms) {
  return event("timer", room, [&](Writer& w) { timer_fields(w, timer, now_ms); });
}

std::string poll_event(std::string_view room, const Poll& poll) {
  return event("poll", room, [&](Writer& w) {
    w.Key("poll");
    poll_object(w, poll);
  });
}

std::string breakout_group_event(std::string_view room, const ResolvedGroup& group,
                                 std::optional<std::int64_t> ends_at) {
  return event("breakout", room, [&](Writer& w) {
    w.Key("state");
    write_string(w, "open");
    w.Key("group");
    write_string(w, group.room);
    w.Key("members");
    users(w, group.members);
    json::write_optional_int64(w, "ends_at", ends_at);
  });
}

std::string breakout_overview_event(std::string_view room, const std::vector<ResolvedGroup>& groups,
                                    std::optional<std::int64_t> ends_at, const std::vector<protocol::User>& late) {
  return event("breakout", room, [&](Writer& w) {
    w.Key("state");
    write_string(w, "open");
    w.Key("groups");
    w.StartArray();
    for (const auto& group : groups) group_object(w, group);
    w.EndArray();
    json::write_optional_int64(w, "ends_at", ends_at);
    w.Key("late");
    users(w, late);
  });
}

std::string breakout_closed_event(std::string_view room, std::optional<std::string_view> parent) {
  return event("breakout", room, [&](Writer& w) {
    if (parent) {
      w.Key("parent");
      write_string(w, *parent);
    }
    w.Key("state");
    write_string(w, "closed");
  });
}

std::string breakout_warning_event(std::string_view room, std::int64_t ends_at, std::int64_t now_ms,
                                   std::optional<std::string_view> parent) {
  return event("breakout", room, [&](Writer& w) {
    if (parent) {
      w.Key("parent");
      write_string(w, *parent);
    }
    w.Key("state");
    write_string(w, "warning");
    w.Key("ends_at");
    w.Int64(ends_at);
    w.Key("remaining_ms");
    w.Int64(std::max<std::int64_t>(0, ends_at - now_ms));
  });
}

std::string agenda_event(std::string_view room, const std::vector<AgendaEntry>& items, int current) {
  return event("agenda", room, [&](Writer& w) { agenda_fields(w, items, current); });
}

std::string lock_event(std::string_view room, bool locked) {
  return event("lock", room, [&](Writer& w) {
    w.Key("locked");
    w.Bool(locked);
  });
}

std::string session_object(const SessionState& state, const SessionView& view, std::int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("hands");
  users(w, view.hands);
  w.Key("floor");
  optional_user(w, view.floor);
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
  agenda_fields(w, state.agenda, state.agenda_current);
  w.EndObject();
  w.Key("breakouts");
  w.StartObject();
  w.Key("open");
  w.Bool(state.breakouts.open);
  w.Key("groups");
  w.StartArray();
  for (const auto& group : view.groups) group_object(w, group);
  w.EndArray();
  if (state.breakouts.open) json::write_optional_int64(w, "ends_at", state.breakouts.ends_at);
  w.Key("late");
  users(w, view.late);
  w.EndObject();
  w.Key("locked");
  w.Bool(state.locked);
  w.Key("roles");  // extension: the owner and everyone whose role is not `member`
  w.StartArray();
  for (const auto& [u, role] : view.roles) {
    w.StartObject();
    role_entry(w, u, role);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::text_of(buffer);
}

}  // namespace outloud::facilitation
