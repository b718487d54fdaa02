#include "server/facilitation/json_writers.hpp"

namespace outloud::facilitation::json {

void write_string(Writer& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_strings(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& item : items) write_string(w, item);
  w.EndArray();
}

void write_optional_int64(Writer& w, const char* key, const std::optional<std::int64_t>& value) {
  if (!value) return;
  w.Key(key);
  w.Int64(*value);
}

void write_timer_fields(Writer& w, const TimerInfo& timer, const std::optional<std::int64_t>& ends_at,
                        std::int64_t remaining_ms) {
  w.Key("state");
  write_string(w, to_string(timer.state));
  w.Key("label");
  write_string(w, timer.label);
  write_optional_int64(w, "ends_at", ends_at);
  w.Key("remaining_ms");
  w.Int64(remaining_ms);
  w.Key("duration_ms");
  w.Int64(timer.duration_ms);
}

void write_poll_fields(Writer& w, const Poll& poll) {
  w.Key("id");
  write_string(w, poll.id);
  w.Key("question");
  write_string(w, poll.question);
  w.Key("options");
  write_strings(w, poll.options);
  w.Key("multi");
  w.Bool(poll.multi);
  w.Key("anonymous");
  w.Bool(poll.anonymous);
  w.Key("open");
  w.Bool(poll.open);
}

void write_ballots(Writer& w, const std::map<std::string, std::vector<int>>& ballots) {
  w.StartObject();
  for (const auto& [voter, choices] : ballots) {
    write_string(w, voter);
    w.StartArray();
    for (int choice : choices) w.Int(choice);
    w.EndArray();
  }
  w.EndObject();
}

void write_agenda_items(Writer& w, const std::vector<AgendaEntry>& items) {
  w.StartArray();
  for (const auto& item : items) {
    w.StartObject();
    w.Key("title");
    write_string(w, item.title);
    w.Key("minutes");
    w.Int(item.minutes);
    w.EndObject();
  }
  w.EndArray();
}

std::string text_of(const rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

}  // namespace outloud::facilitation::json
