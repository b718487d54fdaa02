// A room's facilitation state, and its storage form (JSON, versioned by the store).
#pragma once

#include <string>
#include <string_view>

#include "outloud/protocol/types.hpp"

namespace outloud::facilitation {

// Default-constructible and copyable; the facilitation module defines its fields.
struct SessionState {
  // TODO(facilitation): roles, participants, hands, floor, timer, polls, agenda, breakouts, locked.
};

// Storage form. An empty or unreadable text gives the default state.
SessionState state_from_json(std::string_view json);
std::string state_to_json(const SessionState& state);

}  // namespace outloud::facilitation
