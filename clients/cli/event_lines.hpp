// One readable line (or a few) for each facilitation event, for people at a terminal.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace outloud::client {

// "Ada Jones (essex-cc)" for a USER object, terminal-safe.
std::string who_text(const rapidjson::Value& user);

// The line for a role, hands, floor, timer, poll, breakout, agenda or lock event; nullopt for
// any other frame. `self_id`: the user this client signed in as ("you" in the text).
std::optional<std::string> event_line(const rapidjson::Value& frame, const std::string& self_id);

}  // namespace outloud::client
