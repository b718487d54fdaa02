// Facilitated sessions (facilitation.md) as pure functions over a room's state: the hub loads the
// state, applies a command, saves the new state with compare-and-set, then publishes the events.
// No I/O, no clock, no randomness of its own: all of it comes in through Context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "outloud/protocol/types.hpp"
#include "server/facilitation/record_clock.hpp"
#include "server/facilitation/state.hpp"
#include "server/limits/limits.hpp"

namespace outloud::facilitation {

// Explicit, configurable limits of the engine (additive to the agreed interface), with their defaults.
using Limits = limits::Facilitation;

struct Context {
  protocol::Room room;                            // the room the command is about
  std::int64_t now_ms = 0;
  std::vector<protocol::PresenceEntry> present;   // users present in the room now (breakouts)
  std::uint64_t random_seed = 0;                  // for the `random` and `mix` strategies
  Limits limits{};
};

// A frame for the room's connections: everyone, or only the listed users.
struct Outbound {
  std::string payload;
  std::vector<std::string> only_users;
};

struct Outcome {
  std::optional<protocol::ErrorCode> error;  // set: nothing changed, reply with this error
  std::string error_message;
  bool changed = false;    // the state must be saved (compare-and-set) before the events go out
  SessionState state;      // the new state (equal to the input when !changed)
  std::vector<Outbound> events;
  std::vector<protocol::Room> rooms_to_create;  // breakout group rooms (created if missing)
  std::vector<std::pair<std::string, std::string>> posts;  // (room, text) sent by the actor
  std::vector<std::pair<std::string, std::string>> room_events;  // (another room, frame) for everyone there
  std::optional<std::string> reply_json;  // a reply other than {"type":"ok"}; the hub fills `re`
};

// Is this body one of the facilitation frames (role, hand, floor, timer, poll, vote, breakout,
// agenda, lock, export)?
bool is_facilitation_frame(const protocol::ClientBody& body);

protocol::Role role_of(const SessionState& state, const protocol::Room& room, const std::string& user_id);
// May this user post into the room (observers cannot; a locked room only takes facilitators and the owner)?
bool may_send(const SessionState& state, const protocol::Room& room, const std::string& user_id);

// Applies one facilitation frame from `actor`. `export` is answered by the hub, not here.
Outcome apply(const SessionState& state, const Context& context, const protocol::User& actor,
              const protocol::ClientBody& command);

// Breakout group rooms belong to their session: `<room>~<n>` ids are made by the breakout action
// only, never by `create`.
bool is_breakout_room_id(std::string_view room_id);

// A breakout group's roles follow its session's: the session's facilitators and owner lead the
// group too (the group's own owner stays its owner), its observers observe. The USERs of these
// people (and of the group's owner) are taken from the session, so the group's SESSION names them
// before they join the group. changed=false when the group's roles and USERs already match.
Outcome inherit_roles(const SessionState& group_state, const protocol::Room& group_room,
                      const SessionState& session_state, const protocol::Room& session_room);

// Remembers the owner's USER (name, org) as they create the room, so SESSION's `roles` names them
// properly before they ever join (participants are for who took part; this is not). changed=false
// when `owner` is not the room's creator or is already known as they are.
Outcome note_owner(const SessionState& state, const protocol::Room& room, const protocol::User& owner);

// Remembers a participant (joined the room at least once) for roles and the record. changed=false
// when already known.
Outcome note_participant(const SessionState& state, const protocol::User& user);
// note_participant, and a member who (re)joins the room while its groups are open and is in none is
// a late joiner: listed for the facilitators (an overview `breakout` event to the leaders).
Outcome note_arrival(const SessionState& state, const protocol::Room& room, const protocol::User& user);
// Many at once (a storm of joins is recorded in a few saves, not one each).
Outcome note_participants(const SessionState& state, const std::vector<protocol::User>& users);
// True if `user` is among the participants as they are now: nothing to record.
bool knows_participant(const SessionState& state, const protocol::User& user);
// note_arrival for many at once (the hub records a storm of joins in a few saves).
Outcome note_arrivals(const SessionState& state, const protocol::Room& room, const std::vector<protocol::User>& users);
// True if noting `user`'s arrival would change nothing: a known participant, not a new late joiner.
bool arrival_noted(const SessionState& state, const protocol::Room& room, const protocol::User& user);

// When a running timer's time is up (ends_at <= now): the `done` event, once. Otherwise unchanged.
Outcome expire_timer(const SessionState& state, const Context& context);
// A person who left the room (their last connection in it, on every node) no longer waits to speak:
// their hand goes down, and everyone gets `hands`. changed=false when their hand was not up.
Outcome lower_hand_of_leaver(const SessionState& state, const Context& context, const std::string& user_id);
// When the running timer ends (ms since the epoch), if one runs.
std::optional<std::int64_t> timer_deadline(const SessionState& state);
// Everything whose time has come: the timer's `done`, the groups' one-minute warning, the groups'
// close. Each once: the state records it, and only the compare-and-set winner announces it.
Outcome expire_due(const SessionState& state, const Context& context);
// The earliest moment expire_due has something to do, if any.
std::optional<std::int64_t> next_deadline(const SessionState& state);

// The `session` object of a `joined` reply: hands, floor, timer, open poll, agenda, breakouts, locked.
std::string session_json(const SessionState& state, const protocol::Room& room, std::int64_t now_ms);

// The session record (facilitation.md "The record").
struct GroupRecord {
  protocol::Room room;
  std::vector<protocol::Message> messages;
};
// `permissions`: the members let in across organisations (access.md), listed with sponsor and reason.
// Times are written in `clock`'s zone, named in the record.
std::string export_markdown(const protocol::Room& room, const SessionState& state,
                            const std::vector<protocol::Message>& messages, const std::vector<GroupRecord>& groups,
                            const std::vector<protocol::MemberInfo>& permissions = {},
                            const RecordClock& clock = RecordClock());
// The same record as one printable HTML page, each poll's result drawn as inline SVG bars.
std::string export_html(const protocol::Room& room, const SessionState& state,
                        const std::vector<protocol::Message>& messages, const std::vector<GroupRecord>& groups,
                        const std::vector<protocol::MemberInfo>& permissions, const RecordClock& clock);
// `field`: "markdown", or "html" for the printable page (then also "format":"html").
std::string export_frame(const std::optional<protocol::RequestId>& re, const std::string& room,
                         const std::string& markdown, std::string_view field = "markdown");

}  // namespace outloud::facilitation
