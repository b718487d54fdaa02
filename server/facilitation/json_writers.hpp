// JSON pieces written alike by the facilitation events (events.cpp) and by the storage form of the
// state (state.cpp), so the two cannot drift apart where they mean the same thing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/facilitation/state.hpp"

namespace outloud::facilitation::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view text);
// [ "…", … ]
void write_strings(Writer& w, const std::vector<std::string>& items);
// `key` and the value when there is one; nothing otherwise.
void write_optional_int64(Writer& w, const char* key, const std::optional<std::int64_t>& value);

// "state", "label", "ends_at" (when given), "remaining_ms", "duration_ms": the caller decides
// what ends_at and remaining_ms say (stored as they are, or as a client sees them now).
void write_timer_fields(Writer& w, const TimerInfo& timer, const std::optional<std::int64_t>& ends_at,
                        std::int64_t remaining_ms);

// "id", "question", "options", "multi", "anonymous", "open": what a poll is, without its votes.
void write_poll_fields(Writer& w, const Poll& poll);
// { "<user id>": [option index, …], … }
void write_ballots(Writer& w, const std::map<std::string, std::vector<int>>& ballots);

// [ { "title": …, "minutes": … }, … ]
void write_agenda_items(Writer& w, const std::vector<AgendaEntry>& items);

std::string text_of(const rapidjson::StringBuffer& buffer);

}  // namespace outloud::facilitation::json
