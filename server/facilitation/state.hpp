// A room's facilitation state, and its storage form (JSON, versioned by the store).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::facilitation {

enum class TimerState { running, paused, stopped, done };
std::string_view to_string(TimerState state);

struct TimerInfo {
  TimerState state = TimerState::stopped;
  std::string label;
  std::int64_t ends_at = 0;       // ms since the epoch; meaningful while running
  std::int64_t remaining_ms = 0;  // while paused or stopped: what was left; done: 0
  std::int64_t duration_ms = 0;   // what `start` asked for
  bool operator==(const TimerInfo&) const = default;
};

struct Poll {
  std::string id;  // "p1", "p2", ... in the order they were opened
  std::string question;
  std::vector<std::string> options;
  bool multi = false;
  bool anonymous = true;
  bool open = true;
  std::map<std::string, std::vector<int>> ballots;  // user id -> chosen option indexes (one ballot per user)
  bool operator==(const Poll&) const = default;
};

struct AgendaEntry {
  std::string title;
  int minutes = 0;
  bool operator==(const AgendaEntry&) const = default;
};

struct BreakoutGroup {
  std::string room;                  // the group room id, "<room>~<n>"
  std::vector<std::string> members;  // user ids
  bool operator==(const BreakoutGroup&) const = default;
};

struct Breakouts {
  bool open = false;
  std::vector<BreakoutGroup> groups;  // the latest round; kept after close as the record of who was where
  std::optional<std::int64_t> ends_at;
  std::optional<std::int64_t> warn_at;  // the one-minute warning, until it has gone out
  std::vector<std::string> late;        // members who joined the room while groups were open, not yet placed
  std::vector<std::string> rooms;     // every group room ever created from this room, in order
  bool operator==(const Breakouts&) const = default;
};

// Default-constructible and copyable.
struct SessionState {
  std::map<std::string, protocol::Role> roles;  // only facilitator/observer; owner comes from the room
  std::vector<protocol::User> participants;      // everyone who joined, in order of first join
  // USERs of people the state names who may never have joined: the owner as they created the room,
  // and in a breakout group its session's leaders and observers. Not part of the record.
  std::vector<protocol::User> known;
  std::vector<std::string> hands;                // user ids, in the order hands went up
  std::optional<std::string> floor;              // user id
  std::optional<TimerInfo> timer;                // none until the first start
  std::vector<Poll> polls;                       // every poll, in order; at most one open
  std::vector<AgendaEntry> agenda;
  int agenda_current = -1;                       // -1 when the agenda is empty
  Breakouts breakouts;
  bool locked = false;
  bool operator==(const SessionState&) const = default;
};

// Storage form. An empty or unreadable text gives the default state.
SessionState state_from_json(std::string_view json);
std::string state_to_json(const SessionState& state);

}  // namespace outloud::facilitation
