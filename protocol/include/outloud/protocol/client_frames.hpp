// Typed values of every frame a client may send, and the parser that produces them. The frames a
// client library writes (client_serialize.hpp) compare equal, so round trips can be checked.
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
  bool operator==(const Hello&) const = default;
};
struct Ping {
  bool operator==(const Ping&) const = default;
};
struct Status {
  PresenceState state = PresenceState::online;
  bool operator==(const Status&) const = default;
};

// ---- rooms ----
struct Create {
  std::string room;
  std::string title;  // defaults to the room id when absent; 1..200 characters
  RoomKind kind = RoomKind::room;  // clients may create `room` or `session` only
  // access.md's room settings at birth (as the `room` frame sets them): absent gives `open` and the
  // first of --labels. `private` needs --auth accounts; the server checks the label against --labels.
  std::optional<Visibility> visibility{};
  std::optional<std::string> label{};  // 1..64 characters
  bool operator==(const Create&) const = default;
};
// One page of rooms, in id order (OutLoud extension; plain `{"type":"rooms"}` gets the first page).
struct ListRooms {
  std::optional<int> limit;          // 1..kMaxRoomsPage; absent: the server's default page
  std::optional<std::string> after;  // the `next` of the previous page: rooms whose id sorts after it
  bool archived = false;             // also list archived rooms (closed breakout groups)
  bool operator==(const ListRooms&) const = default;
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
  // true: a busy large room's messages that go out in one round come as one `message_batch`
  // event instead of a `message` event each. false: the spec's behaviour.
  bool message_batches = false;
  bool operator==(const Join&) const = default;
};
inline constexpr int kMaxPresencePage = 200;
inline constexpr std::size_t kMaxPresenceCursor = 256;
// The next page of a joined room's presence (protocol/README.md "Large rooms").
struct PresencePage {
  std::string room;
  std::optional<std::string> after;  // the `next` of the previous page (opaque); absent: the first
  std::optional<int> limit;          // 1..kMaxPresencePage
  bool operator==(const PresencePage&) const = default;
};
struct Leave {
  std::string room;
  bool operator==(const Leave&) const = default;
};

// ---- messages ----
struct Send {
  std::string room;
  std::string text;               // 1..max_text_chars
  std::string topic = "general";  // 1..60 characters
  std::optional<Tag> tag;
  std::optional<std::int64_t> reply_to;  // >= 1
  std::optional<std::string> nonce;      // 1..64 characters
  bool operator==(const Send&) const = default;
};
struct History {
  std::string room;
  std::optional<std::int64_t> before;  // exactly one of before/after may be given; neither = latest
  std::optional<std::int64_t> after;
  int limit = 50;  // 1..200
  std::optional<std::string> topic;  // only this topic's messages (1..60 characters)
  bool operator==(const History&) const = default;
};
struct Typing {
  std::string room;
  std::string topic = "general";
};

// ---- correcting, removing and finding messages (protocol/README.md "Edits, removal and search") ----
struct Edit {
  std::string room;
  std::int64_t seq = 0;  // >= 1
  std::string text;      // 1..max_text_chars
  bool operator==(const Edit&) const = default;
};
struct Delete {
  std::string room;
  std::int64_t seq = 0;
  bool operator==(const Delete&) const = default;
};
struct RemoveMessage {
  std::string room;
  std::int64_t seq = 0;
  std::string reason;  // 1..500 characters; goes on the record
  bool operator==(const RemoveMessage&) const = default;
};
// The messages of a room changed (edited, deleted, removed) after change version `since`.
struct Changes {
  std::string room;
  std::optional<std::int64_t> since;  // absent: only the room's current version
  int limit = 100;                    // 1..200
};
struct Search {
  std::string room;
  std::string query;                   // 1..200 characters, at most 10 words
  std::optional<std::int64_t> before;  // the previous reply's `next`: only messages with seq < before
  int limit = 20;                      // 1..50
  bool operator==(const Search&) const = default;
};
inline constexpr std::size_t kMaxRemovalReasonChars = 500;
inline constexpr std::size_t kMaxSearchQueryChars = 200;
inline constexpr int kMaxSearchTerms = 10;
// The words of a search query: split at ASCII white space. Stores match each word as a literal.
std::vector<std::string> search_terms(std::string_view query);
// ---- topics and read markers (OutLoud extension) ----
// One page of a room's topics, most recently active first.
struct ListTopics {
  std::string room;
  std::optional<std::int64_t> before;  // the `next` of the previous page: topics whose last seq is lower
  int limit = 100;                     // 1..kMaxTopicsPage
};
inline constexpr int kMaxTopicsPage = 200;
// The person has read the room (or one topic of it) up to `seq`; markers only move forward.
struct MarkRead {
  std::string room;
  std::int64_t seq = 0;              // 0..2^53
  std::optional<std::string> topic;  // absent: the whole room
  bool operator==(const MarkRead&) const = default;
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
  bool operator==(const Hand&) const = default;
};
struct Floor {
  std::string room;
  std::optional<std::string> user;  // null: the next in the queue
  bool operator==(const Floor&) const = default;
};
enum class TimerAction { start, pause, resume, stop };
struct Timer {
  std::string room;
  TimerAction action = TimerAction::start;
  int seconds = 0;    // start: 1..86400
  std::string label;  // start: 0..80 characters
  bool operator==(const Timer&) const = default;
};
struct PollOpen {
  std::string room;
  std::string question;              // 1..300 characters
  std::vector<std::string> options;  // 2..10 strings of 1..200 characters
  bool multi = false;
  bool anonymous = true;
  bool operator==(const PollOpen&) const = default;
};
struct PollClose {
  std::string room;
  std::string poll;  // poll id
  bool operator==(const PollClose&) const = default;
};
struct Vote {
  std::string room;
  std::string poll;
  std::vector<int> choices;  // option indexes; range-checked by the domain
  bool operator==(const Vote&) const = default;
};
enum class BreakoutStrategy { mix, random, manual };
struct BreakoutOpen {
  std::string room;
  std::optional<int> groups;  // exactly one of groups / size; 1..50
  std::optional<int> size;    // 1..200
  BreakoutStrategy strategy = BreakoutStrategy::mix;
  std::map<std::string, int> assign;  // manual: user id -> group number (1-based)
  std::optional<int> minutes;         // 1..600
  bool operator==(const BreakoutOpen&) const = default;
};
struct BreakoutBroadcast {
  std::string room;
  std::string text;
  bool operator==(const BreakoutBroadcast&) const = default;
};
struct BreakoutClose {
  std::string room;
  bool operator==(const BreakoutClose&) const = default;
};
// Extension: puts one member (a late joiner) into an open round's group: the given group number
// (1-based), or the one that best keeps the mix rule.
struct BreakoutPlace {
  std::string room;
  std::string user;
  std::optional<int> group{};  // 1..50
  bool operator==(const BreakoutPlace&) const = default;
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
enum class RecordFormat { markdown, html };
struct Export {
  std::string room;
  std::string tz{};  // extension: the zone the record's times are written in ("Europe/London", "+01:00"); empty: UTC
  RecordFormat format = RecordFormat::markdown;  // extension: "html" gives a printable page
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
                                BreakoutBroadcast, BreakoutClose, BreakoutPlace, AgendaSet, AgendaMove, Lock, Export,
                                ListOrgs, PutOrg, SetOrgAdmin, People, Invite, ListInvitations, RevokeInvitation,
                                RoomSettings, ListMembers, AddMember, RemoveMember, ReadAudit, MakeToken,
                                ListSessions, EndSession, Edit, Delete, RemoveMessage, Changes, Search,
                                ListTopics, MarkRead, PresencePage>;

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
