#include "event_lines.hpp"

#include <cstdio>

#include "display.hpp"

namespace outloud::client {
namespace {

// The facilitation events are rendered leniently: a missing or mistyped field reads as absent
// (the frames protocol/ decodes and validates are read with protocol::ServerFrameReader).
const rapidjson::Value* get_member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view get_string(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  if (!value || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

std::optional<std::int64_t> get_int(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  if (!value || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

bool get_bool(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  return value && value->IsBool() && value->GetBool();
}

std::string safe(std::string_view text) { return terminal_safe(text); }

// "4:05" for a duration in milliseconds (rounded up: "0:01" until it is really over).
std::string minutes_seconds(std::int64_t ms) {
  const std::int64_t seconds = ms <= 0 ? 0 : (ms + 999) / 1000;
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(seconds / 60),
                static_cast<long long>(seconds % 60));
  return text;
}

std::string people(const rapidjson::Value* list, const std::string& self_id) {
  if (!list || !list->IsArray() || list->Empty()) return "nobody";
  std::string out;
  for (const auto& user : list->GetArray()) {
    if (!out.empty()) out += ", ";
    out += get_string(user, "id") == self_id ? "you" : who_text(user);
  }
  return out;
}

std::string role_line(const rapidjson::Value& f, const std::string& self_id) {
  const auto* user = get_member(f, "user");
  const std::string who = user ? (get_string(*user, "id") == self_id ? "you are" : who_text(*user) + " is") : "?";
  return who + " now " + safe(get_string(f, "role"));
}

std::string hands_line(const rapidjson::Value& f, const std::string& self_id) {
  const auto* queue = get_member(f, "queue");
  if (!queue || !queue->IsArray() || queue->Empty()) return "hands: none up";
  std::string out = "hands up (" + std::to_string(queue->Size()) + "): ";
  int place = 0;
  for (const auto& user : queue->GetArray()) {
    if (place++) out += ", ";
    out += std::to_string(place) + ". " + (get_string(user, "id") == self_id ? std::string("you") : who_text(user));
  }
  return out;
}

std::string floor_line(const rapidjson::Value& f, const std::string& self_id) {
  const auto* user = get_member(f, "user");
  if (!user || !user->IsObject()) return "the floor is open";
  return get_string(*user, "id") == self_id ? "you have the floor" : "the floor: " + who_text(*user);
}

std::string timer_line(const rapidjson::Value& f) {
  const std::string label(get_string(f, "label"));
  const std::string state(get_string(f, "state"));
  std::string out = "timer" + (label.empty() ? std::string() : " \"" + safe(label) + "\"") + ": ";
  const std::int64_t remaining = get_int(f, "remaining_ms").value_or(0);
  if (state == "running") {
    out += minutes_seconds(remaining) + " left";
    if (const auto ends = get_int(f, "ends_at")) out += ", ends " + clock_time(*ends);
  } else if (state == "paused") {
    out += "paused with " + minutes_seconds(remaining) + " left";
  } else if (state == "stopped") {
    out += "stopped";
  } else if (state == "done") {
    out += "time's up";
  } else {
    out += safe(state);
  }
  return out;
}

std::string poll_line(const rapidjson::Value& f) {
  const auto* poll = get_member(f, "poll");
  if (!poll) return "poll";
  const bool open = get_bool(*poll, "open");
  const std::string id(get_string(*poll, "id"));
  std::string out = "poll " + safe(id) + (open ? "" : " (closed)") + ": " + safe(get_string(*poll, "question"));
  const auto* options = get_member(*poll, "options");
  const auto* counts = get_member(*poll, "counts");
  if (options && options->IsArray()) {
    for (rapidjson::SizeType i = 0; i < options->Size(); ++i) {
      const auto& option = (*options)[i];
      out += "\n    " + std::to_string(i + 1) + ") " + (option.IsString() ? safe(option.GetString()) : std::string("?"));
      if (counts && counts->IsArray() && i < counts->Size() && (*counts)[i].IsInt())
        out += " \u2014 " + std::to_string((*counts)[i].GetInt());
    }
  }
  out += "\n    " + std::to_string(get_int(*poll, "voters").value_or(0)) + " voted";
  if (open) {
    out += get_bool(*poll, "multi") ? "; choose one or more: /vote " : "; choose one: /vote ";
    out += safe(id) + " <number>";
  }
  return out;
}

std::string breakout_line(const rapidjson::Value& f, const std::string& self_id) {
  const std::string state(get_string(f, "state"));
  const auto ends = get_int(f, "ends_at");
  const std::string until = ends ? ", until " + clock_time(*ends) : std::string();
  if (state == "warning") {
    return "breakout: one minute left (" + minutes_seconds(get_int(f, "remaining_ms").value_or(0)) + ", ends " +
           clock_time(ends.value_or(0)) + ")";
  }
  if (state == "closed") {
    const auto parent = get_string(f, "parent");
    return parent.empty() ? "breakout groups closed: back in the main room"
                          : "breakout groups of " + safe(parent) + " closed: back in " + safe(parent);
  }
  if (state != "open") return "breakout: " + safe(state);
  if (const auto group = get_string(f, "group"); !group.empty()) {
    std::string others;
    if (const auto* members = get_member(f, "members"); members && members->IsArray()) {
      for (const auto& user : members->GetArray()) {
        if (get_string(user, "id") == self_id) continue;
        others += (others.empty() ? "" : ", ") + who_text(user);
      }
    }
    return "breakout: you are in group " + safe(group) + (others.empty() ? " on your own" : " with " + others) +
           until + " (/join " + safe(group) + ")";
  }
  std::string out = "breakout groups open" + until + ":";
  if (const auto* groups = get_member(f, "groups"); groups && groups->IsArray()) {
    for (const auto& group : groups->GetArray())
      out += "\n    " + safe(get_string(group, "group")) + ": " + people(get_member(group, "members"), self_id);
  }
  const auto* late = get_member(f, "late");
  if (late && late->IsArray() && !late->Empty()) {
    out += "\n    joined late, in no group: ";
    bool first = true;
    for (const auto& user : late->GetArray()) {
      if (!first) out += ", ";
      first = false;
      out += who_text(user) + " [" + safe(get_string(user, "id")) + "]";
    }
    out += " (/breakout place <user id> [group number])";
  }
  return out;
}

std::string agenda_line(const rapidjson::Value& f) {
  const auto* items = get_member(f, "items");
  const std::int64_t current = get_int(f, "current").value_or(-1);
  if (!items || !items->IsArray() || items->Empty() || current < 0 ||
      current >= static_cast<std::int64_t>(items->Size()))
    return "agenda: empty";
  const auto& item = (*items)[static_cast<rapidjson::SizeType>(current)];
  std::string out = "agenda " + std::to_string(current + 1) + " of " + std::to_string(items->Size()) + ": " +
                    safe(get_string(item, "title"));
  if (const auto minutes = get_int(item, "minutes"); minutes && *minutes > 0)
    out += " (" + std::to_string(*minutes) + " min)";
  return out;
}

}  // namespace

std::string who_text(const rapidjson::Value& user) {
  return terminal_safe(get_string(user, "name")) + " (" + terminal_safe(get_string(user, "org")) + ")";
}

std::string who_text(const protocol::User& user) {
  return terminal_safe(user.name) + " (" + terminal_safe(user.org) + ")";
}

std::optional<PollState> poll_state(const rapidjson::Value& holder) {
  const auto* poll = get_member(holder, "poll");
  if (!poll || !poll->IsObject()) return std::nullopt;
  return PollState{std::string(get_string(*poll, "id")), get_bool(*poll, "open")};
}

std::string new_poll_id(const rapidjson::Value& ok) { return std::string(get_string(ok, "poll")); }

std::optional<std::string> event_line(const rapidjson::Value& f, const std::string& self_id) {
  if (get_member(f, "re")) return std::nullopt;  // replies are not events
  const auto type = get_string(f, "type");
  std::string text;
  if (type == "role") text = role_line(f, self_id);
  else if (type == "hands") text = hands_line(f, self_id);
  else if (type == "floor") text = floor_line(f, self_id);
  else if (type == "timer") text = timer_line(f);
  else if (type == "poll") text = poll_line(f);
  else if (type == "breakout") text = breakout_line(f, self_id);
  else if (type == "agenda") text = agenda_line(f);
  else if (type == "lock") text = get_bool(f, "locked") ? "the room is locked: only facilitators may send"
                                                       : "the room is unlocked";
  else return std::nullopt;
  return "[" + terminal_safe(get_string(f, "room")) + "] * " + text;
}

}  // namespace outloud::client
