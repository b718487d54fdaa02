// Storage form of SessionState: a JSON object with a format version. Reading is forgiving: a field
// that is missing or of the wrong type keeps its default, so a damaged record never stops a room.
#include "server/facilitation/state.hpp"

#include <rapidjson/document.h>

#include "server/facilitation/json_writers.hpp"

namespace outloud::facilitation {
namespace {

constexpr int kFormatVersion = 1;

using json::Writer;
using json::write_string;
using json::write_strings;
using Value = rapidjson::Value;

std::string read_string(const Value& object, const char* key, std::string fallback = {}) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return fallback;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::int64_t read_int(const Value& object, const char* key, std::int64_t fallback = 0) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return fallback;
  return it->value.GetInt64();
}

bool read_bool(const Value& object, const char* key, bool fallback = false) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsBool()) return fallback;
  return it->value.GetBool();
}

const Value* read_array(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

const Value* read_object(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

std::vector<std::string> read_strings(const Value* array) {
  std::vector<std::string> out;
  if (!array) return out;
  for (const auto& item : array->GetArray())
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  return out;
}

std::optional<TimerState> timer_state_from(std::string_view text) {
  if (text == "running") return TimerState::running;
  if (text == "paused") return TimerState::paused;
  if (text == "stopped") return TimerState::stopped;
  if (text == "done") return TimerState::done;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(TimerState state) {
  switch (state) {
    case TimerState::running: return "running";
    case TimerState::paused: return "paused";
    case TimerState::stopped: return "stopped";
    case TimerState::done: return "done";
  }
  return "stopped";
}

std::string state_to_json(const SessionState& state) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("v");
  w.Int(kFormatVersion);

  w.Key("roles");
  w.StartObject();
  for (const auto& [user, role] : state.roles) {
    write_string(w, user);
    write_string(w, protocol::to_string(role));
  }
  w.EndObject();

  auto write_users = [&w](const char* key, const std::vector<protocol::User>& users) {
    w.Key(key);
    w.StartArray();
    for (const auto& user : users) {
      w.StartObject();
      w.Key("id");
      write_string(w, user.id);
      w.Key("name");
      write_string(w, user.name);
      w.Key("org");
      write_string(w, user.org);
      w.EndObject();
    }
    w.EndArray();
  };
  write_users("participants", state.participants);
  if (!state.known.empty()) write_users("known", state.known);

  w.Key("hands");
  write_strings(w, state.hands);
  w.Key("floor");
  if (state.floor) write_string(w, *state.floor);
  else w.Null();

  w.Key("timer");
  if (state.timer) {
    // Stored as they are, whatever the state, so a restart resumes the same timer.
    w.StartObject();
    json::write_timer_fields(w, *state.timer, state.timer->ends_at, state.timer->remaining_ms);
    w.EndObject();
  } else {
    w.Null();
  }

  w.Key("polls");
  w.StartArray();
  for (const auto& poll : state.polls) {
    w.StartObject();
    json::write_poll_fields(w, poll);
    w.Key("ballots");  // always, anonymous or not: the votes themselves must survive a restart
    json::write_ballots(w, poll.ballots);
    w.EndObject();
  }
  w.EndArray();

  w.Key("agenda");
  json::write_agenda_items(w, state.agenda);
  w.Key("agenda_current");
  w.Int(state.agenda_current);

  w.Key("breakouts");
  w.StartObject();
  w.Key("open");
  w.Bool(state.breakouts.open);
  w.Key("groups");
  w.StartArray();
  for (const auto& group : state.breakouts.groups) {
    w.StartObject();
    w.Key("room");
    write_string(w, group.room);
    w.Key("members");
    write_strings(w, group.members);
    w.EndObject();
  }
  w.EndArray();
  json::write_optional_int64(w, "ends_at", state.breakouts.ends_at);
  json::write_optional_int64(w, "warn_at", state.breakouts.warn_at);
  w.Key("late");
  write_strings(w, state.breakouts.late);
  w.Key("rooms");
  write_strings(w, state.breakouts.rooms);
  w.EndObject();

  w.Key("locked");
  w.Bool(state.locked);
  w.EndObject();
  return json::text_of(buffer);
}

SessionState state_from_json(std::string_view json) {
  SessionState state;
  if (json.empty()) return state;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return state;
  if (read_int(doc, "v", 0) != kFormatVersion) return state;

  if (const Value* roles = read_object(doc, "roles")) {
    for (const auto& member : roles->GetObject()) {
      if (!member.value.IsString()) continue;
      auto role = protocol::role_from(std::string_view(member.value.GetString(), member.value.GetStringLength()));
      // The owner is never stored; members are the default and need no entry.
      if (!role || *role == protocol::Role::owner || *role == protocol::Role::member) continue;
      state.roles[std::string(member.name.GetString(), member.name.GetStringLength())] = *role;
    }
  }

  auto read_users = [&doc](const char* key, std::vector<protocol::User>& out) {
    const Value* users = read_array(doc, key);
    if (!users) return;
    for (const auto& item : users->GetArray()) {
      if (!item.IsObject()) continue;
      protocol::User user{read_string(item, "id"), read_string(item, "name"), read_string(item, "org")};
      if (!user.id.empty()) out.push_back(std::move(user));
    }
  };
  read_users("participants", state.participants);
  read_users("known", state.known);

  state.hands = read_strings(read_array(doc, "hands"));
  auto floor = read_string(doc, "floor");
  if (!floor.empty()) state.floor = floor;

  if (const Value* timer = read_object(doc, "timer")) {
    if (auto timer_state = timer_state_from(read_string(*timer, "state"))) {
      TimerInfo info;
      info.state = *timer_state;
      info.label = read_string(*timer, "label");
      info.ends_at = read_int(*timer, "ends_at");
      info.remaining_ms = read_int(*timer, "remaining_ms");
      info.duration_ms = read_int(*timer, "duration_ms");
      state.timer = info;
    }
  }

  if (const Value* polls = read_array(doc, "polls")) {
    for (const auto& item : polls->GetArray()) {
      if (!item.IsObject()) continue;
      Poll poll;
      poll.id = read_string(item, "id");
      poll.question = read_string(item, "question");
      poll.options = read_strings(read_array(item, "options"));
      poll.multi = read_bool(item, "multi");
      poll.anonymous = read_bool(item, "anonymous", true);
      poll.open = read_bool(item, "open");
      if (const Value* ballots = read_object(item, "ballots")) {
        for (const auto& ballot : ballots->GetObject()) {
          if (!ballot.value.IsArray()) continue;
          std::vector<int> choices;
          for (const auto& choice : ballot.value.GetArray())
            if (choice.IsInt() && choice.GetInt() >= 0 &&
                static_cast<std::size_t>(choice.GetInt()) < poll.options.size())
              choices.push_back(choice.GetInt());
          if (!choices.empty())
            poll.ballots[std::string(ballot.name.GetString(), ballot.name.GetStringLength())] = std::move(choices);
        }
      }
      if (!poll.id.empty()) state.polls.push_back(std::move(poll));
    }
  }

  if (const Value* agenda = read_array(doc, "agenda")) {
    for (const auto& item : agenda->GetArray()) {
      if (!item.IsObject()) continue;
      state.agenda.push_back({read_string(item, "title"), static_cast<int>(read_int(item, "minutes"))});
    }
  }
  auto current = read_int(doc, "agenda_current", -1);
  if (state.agenda.empty()) state.agenda_current = -1;
  else if (current < 0 || current >= static_cast<std::int64_t>(state.agenda.size())) state.agenda_current = 0;
  else state.agenda_current = static_cast<int>(current);

  if (const Value* breakouts = read_object(doc, "breakouts")) {
    state.breakouts.open = read_bool(*breakouts, "open");
    if (const Value* groups = read_array(*breakouts, "groups")) {
      for (const auto& item : groups->GetArray()) {
        if (!item.IsObject()) continue;
        BreakoutGroup group{read_string(item, "room"), read_strings(read_array(item, "members"))};
        if (!group.room.empty()) state.breakouts.groups.push_back(std::move(group));
      }
    }
    if (breakouts->HasMember("ends_at")) state.breakouts.ends_at = read_int(*breakouts, "ends_at");
    if (breakouts->HasMember("warn_at")) state.breakouts.warn_at = read_int(*breakouts, "warn_at");
    state.breakouts.late = read_strings(read_array(*breakouts, "late"));
    state.breakouts.rooms = read_strings(read_array(*breakouts, "rooms"));
  }

  state.locked = read_bool(doc, "locked");
  return state;
}

}  // namespace outloud::facilitation
