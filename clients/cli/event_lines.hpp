// One readable line (or a few) for each facilitation event, for people at a terminal.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "outloud/protocol/types.hpp"

namespace outloud::client {

// "Ada Jones (essex-cc)" for a USER object, terminal-safe.
std::string who_text(const rapidjson::Value& user);
std::string who_text(const protocol::User& user);

// The poll of a `poll` event, or of a room's facilitation state (`joined`'s session): nullopt when
// there is none.
struct PollState {
  std::string id;
  bool open = false;
};
std::optional<PollState> poll_state(const rapidjson::Value& holder);
// The id of the poll an `ok` reply to a poll's opening names ("" for other replies).
std::string new_poll_id(const rapidjson::Value& ok);

// The line for a role, hands, floor, timer, poll, breakout, agenda or lock event; nullopt for
// any other frame. `self_id`: the user this client signed in as ("you" in the text).
std::optional<std::string> event_line(const rapidjson::Value& frame, const std::string& self_id);

}  // namespace outloud::client
