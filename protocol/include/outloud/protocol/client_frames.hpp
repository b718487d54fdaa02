// Typed values of every frame a client may send, and the parser that produces them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::protocol {

// ---- session ----
struct Hello {
  std::optional<std::string> name;   // open mode: 1..80 characters
  std::optional<std::string> org;    // open mode: slug
  std::optional<std::string> token;  // jwt and accounts modes
  // All three absent: accounts mode, on a connection whose upgrade carried the session cookie.
};
struct Ping {};
struct Status {
  PresenceState state = PresenceState::online;
};

// ---- rooms ----
struct Create {
  std::string room;
  std::string title;  // defaults to the room id when absent; 1..200 characters
  RoomKind kind = RoomKind::room;  // clients may create `room` or `session` only
};
// One page of rooms, in id order (OutLoud extension; plain `{"type":"rooms"}` gets the first page).
struct ListRooms {
  std::optional<int> limit;          // 1..kMaxRoomsPage; absent: the server's default page
  std::optional<std::string> after;  // the `next` of the previous page: rooms whose id sorts after it
};
inline constexpr int kMaxRoomsPage = 500;
struct Join {
  std::string room;
  std::optional<std::int64_t> since;  // >= 0
  std::optional<int> limit;           // 1..200
  // 1..kMaxPresencePage: `joined` carries this many presence entries at most, with the count and a
  // cursor for the rest, and presence changes come coalesced (`presence_batch`). Absent: the
  // spec's behaviour (the whole list, one `presence` event per change).
  std::optional<int> presence_limit;
};
inline constexpr int kMaxPresencePage = 200;
inline constexpr std::size_t kMaxPresenceCursor = 256;
// The next page of a joined room's presence (protocol/README.md "Large rooms").
struct PresencePage {
  std::string room;
  std::optional<std::string> after;  // the `next` of the previous page (opaque); absent: the first
  std::optional<int> limit;          // 1..kMaxPresencePage
};
struct Leave {
  std::string room;
};

// ---- messages ----
struct Send {
  std::string room;
  std::string text;               // 1..max_text_chars
  std::string topic = "general";  // 1..60 characters
  std::optional<Tag> tag;
  std::optional<std::int64_t> reply_to;  // >= 1
  std::optional<std::string> nonce;      // 1..64 characters
};
struct History {
  std::string room;
  std::optional<std::int64_t> before;  // exactly one of before/after may be given; neither = latest
  std::optional<std::int64_t> after;
  int limit = 50;  // 1..200
};
struct Typing {
  std::string room;
  std::string topic = "general";
};

// ---- facilitation (facilitation.md) ----
struct SetRole {
  std::string room;
  std::string user;  // user id
  Role role = Role::member;
};
struct Hand {
  std::string room;
  bool up = true;
};
struct Floor {
  std::string room;
  std::optional<std::string> user;  // null: the next in the queue
};
enum class TimerAction { start, pause, resume, stop };
struct Timer {
  std::string room;
  TimerAction action = TimerAction::start;
  int seconds = 0;    // start: 1..86400
  std::string label;  // start: 0..80 characters
};
struct PollOpen {
  std::string room;
  std::string question;              // 1..300 characters
  std::vector<std::string> options;  // 2..10 strings of 1..200 characters
  bool multi = false;
  bool anonymous = true;
};
struct PollClose {
  std::string room;
  std::string poll;  // poll id
};
struct Vote {
  std::string room;
  std::string poll;
  std::vector<int> choices;  // option indexes; range-checked by the domain
};
enum class BreakoutStrategy { mix, random, manual };
struct BreakoutOpen {
  std::string room;
  std::optional<int> groups;  // exactly one of groups / size; 1..50
  std::optional<int> size;    // 1..200
  BreakoutStrategy strategy = BreakoutStrategy::mix;
  std::map<std::string, int> assign;  // manual: user id -> group number (1-based)
  std::optional<int> minutes;         // 1..600
};
struct BreakoutBroadcast {
  std::string room;
  std::string text;
};
struct BreakoutClose {
  std::string room;
};
struct AgendaItem {
  std::string title;  // 1..200 characters
  int minutes = 0;    // 0..600
  bool operator==(const AgendaItem&) const = default;
};
struct AgendaSet {
  std::string room;
  std::vector<AgendaItem> items;  // 0..50
};
struct AgendaMove {
  std::string room;
  bool forward = true;  // "next" or "prev"
};
struct Lock {
  std::string room;
  bool locked = true;
};
struct Export {
  std::string room;
};

// ---- accounts, organisations and access (access.md) ----
struct ListOrgs {};
struct PutOrg {
  Org org;  // id: slug; name: 1..200 characters; domains: 0..20 strings of 1..253 characters
};
struct SetOrgAdmin {
  std::string user;
  bool admin = true;
};
struct People {
  std::string query;  // 0..200 characters; empty: everyone
};
struct Invite {
  std::string org;
  std::optional<std::string> room;
  Role role = Role::member;  // member, facilitator or observer
  bool guest = false;
  int uses = 1;    // 1..1000
  int hours = 72;  // 1..8760
};
struct ListInvitations {};
struct RevokeInvitation {
  std::string invitation;  // its id
};
struct RoomSettings {
  std::string room;
  std::optional<Visibility> visibility;
  std::optional<std::string> label;                 // 1..64 characters; the server checks --labels
  std::optional<std::optional<int>> retention_days;  // absent: unchanged; null: forever; 1..36500
  std::optional<std::string> title;                 // 1..200 characters
};
struct ListMembers {
  std::string room;
};
struct AddMember {
  std::string room;
  std::string user;
  Role role = Role::member;  // member, facilitator or observer
  std::optional<std::string> reason;  // 1..1000 characters; needed across organisations
};
struct RemoveMember {
  std::string room;
  std::string user;
};
struct ReadAudit {
  std::optional<std::int64_t> before;  // ts (ms), exclusive
  std::optional<int> limit;            // 1..500
};
// accounts.md extensions: a token for the command-line client, and one's sessions.
struct MakeToken {};
struct ListSessions {
  std::optional<std::string> user;  // administrators: anyone's
};
struct EndSession {
  std::string session;  // its id
};

using ClientBody = std::variant<Hello, Ping, Status, Create, ListRooms, Join, Leave, Send, History, Typing,
                                SetRole, Hand, Floor, Timer, PollOpen, PollClose, Vote, BreakoutOpen,
                                BreakoutBroadcast, BreakoutClose, AgendaSet, AgendaMove, Lock, Export,
                                ListOrgs, PutOrg, SetOrgAdmin, People, Invite, ListInvitations, RevokeInvitation,
                                RoomSettings, ListMembers, AddMember, RemoveMember, ReadAudit, MakeToken,
                                ListSessions, EndSession, PresencePage>;

struct ClientFrame {
  std::optional<RequestId> id;
  ClientBody body;
};

// Why a frame was refused. `id` is the request id when one could be read, so the error can carry `re`.
struct FrameError {
  std::optional<RequestId> id;
  ErrorCode code = ErrorCode::bad_request;
  std::string message;
};

struct ParseLimits {
  std::size_t max_text_chars = 16000;  // message text, in characters
};

// Parses one text frame. Never throws; deeply nested or invalid UTF-8 input is a bad_request.
std::variant<ClientFrame, FrameError> parse_client_frame(std::string_view text, const ParseLimits& limits = {});

// The room a frame concerns, if any (for routing and rate limiting).
const std::string* room_of(const ClientBody& body);

}  // namespace outloud::protocol
