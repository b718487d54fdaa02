// JSON text of the facilitation events (facilitation.md) and of the objects they share with the
// `session` of a `joined` reply. Users are passed already resolved (id -> USER).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/facilitation/state.hpp"

namespace outloud::facilitation {

struct ResolvedGroup {
  std::string room;
  std::vector<protocol::User> members;
};

std::string role_event(std::string_view room, const protocol::User& user, protocol::Role role);
std::string hands_event(std::string_view room, const std::vector<protocol::User>& queue);
std::string floor_event(std::string_view room, const std::optional<protocol::User>& user);
std::string timer_event(std::string_view room, const TimerInfo& timer, std::int64_t now_ms);
std::string poll_event(std::string_view room, const Poll& poll);
// To one group's members.
std::string breakout_group_event(std::string_view room, const ResolvedGroup& group,
                                 std::optional<std::int64_t> ends_at);
// Extension: to those not distributed (owner, facilitators, observers): every group at once.
// `late`: members who joined while the groups were open and are in none yet.
std::string breakout_overview_event(std::string_view room, const std::vector<ResolvedGroup>& groups,
                                    std::optional<std::int64_t> ends_at, const std::vector<protocol::User>& late);
// `parent` is set when the event goes into a group room (`room` is the group room then).
std::string breakout_closed_event(std::string_view room, std::optional<std::string_view> parent = std::nullopt);
// Extension: one minute is left (sent to the session room and into every group room).
std::string breakout_warning_event(std::string_view room, std::int64_t ends_at, std::int64_t now_ms,
                                   std::optional<std::string_view> parent = std::nullopt);
std::string agenda_event(std::string_view room, const std::vector<AgendaEntry>& items, int current);
// Extension: the room's lock changed.
std::string lock_event(std::string_view room, bool locked);

// Counts per option and the number of voters.
std::vector<int> poll_counts(const Poll& poll);

struct SessionView {
  std::vector<protocol::User> hands;
  std::optional<protocol::User> floor;
  std::vector<std::pair<protocol::User, protocol::Role>> roles;  // owner first, then non-default roles
  std::vector<ResolvedGroup> groups;
  std::vector<protocol::User> late;
};
std::string session_object(const SessionState& state, const SessionView& view, std::int64_t now_ms);

}  // namespace outloud::facilitation
