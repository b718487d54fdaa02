// Value types shared by every frame of the OutLoud protocol. Pure data, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace outloud::protocol {

inline constexpr int kProtocolVersion = 1;

// A request id is a string or an integer up to 2^53; replies echo it as `re`. The contract sets no
// length; ids are held while their request is in flight, so a longer one is refused (echoed in `re`).
using RequestId = std::variant<std::int64_t, std::string>;
inline constexpr std::size_t kMaxRequestIdChars = 1024;

enum class ErrorCode {
  bad_request,
  unauthenticated,
  forbidden,
  not_found,
  conflict,
  rate_limited,
  too_large,
  unavailable,
  internal,
};
inline constexpr int kErrorCodeCount = 9;
std::string_view to_string(ErrorCode code);

struct User {
  std::string id;
  std::string name;
  std::string org{};
  bool guest = false;  // accounts mode: a resident invited into rooms; serialized only when true
  bool operator==(const User&) const = default;
};

// An organisation (access.md): its people sign in with an email of one of its domains.
struct Org {
  std::string id;                    // slug
  std::string name;                  // 1..200 characters
  std::vector<std::string> domains;  // lower case, e.g. "essex.gov.uk"; each belongs to one org at most
  bool operator==(const Org&) const = default;
};

enum class Visibility { open, private_ };
std::string_view to_string(Visibility visibility);
std::optional<Visibility> visibility_from(std::string_view text);

inline constexpr const char* kDefaultLabel = "OFFICIAL";

enum class RoomKind { room, session, breakout };
std::string_view to_string(RoomKind kind);
std::optional<RoomKind> room_kind_from(std::string_view text);

struct Room {
  std::string id;
  std::string title;
  RoomKind kind = RoomKind::room;
  std::string created_by;  // user id of the owner
  std::int64_t created_at = 0;  // ms since the epoch
  std::optional<std::string> parent;  // breakout rooms: the room they were opened from
  // access.md: the creator's organisation, who may see it, its information-governance label and
  // how long its messages are kept (none: forever).
  std::string org{};
  Visibility visibility = Visibility::open;
  std::string label = kDefaultLabel;
  std::optional<int> retention_days{};
  // Breakout groups whose groups closed: left out of the default `rooms` list, still readable.
  bool archived = false;
  bool operator==(const Room&) const = default;
};

// A room as listed by `rooms`: the room plus how many users are present, its last seq and how far
// the person asking has read it (their read marker; 0: nothing read).
struct RoomListing {
  Room room;
  int online = 0;
  std::int64_t last_seq = 0;
  std::int64_t read = 0;
  std::int64_t mentions = 0;  // messages after `read` that name the asking person (kMaxUnreadCounted at most)
};

// One topic of a room as listed by `topics`: its message count, last seq and time, and how many of
// its messages come after the asking person's read marker (capped, see kMaxUnreadCounted).
struct TopicSummary {
  std::string topic;
  std::int64_t count = 0;
  std::int64_t last_seq = 0;
  std::int64_t last_ts = 0;
  std::int64_t unread = 0;
  bool operator==(const TopicSummary&) const = default;
};
inline constexpr std::int64_t kMaxUnreadCounted = 1000;

enum class Tag { learn, do_, reflect, share };
std::string_view to_string(Tag tag);
std::optional<Tag> tag_from(std::string_view text);

// A message taken back: by its author ("deleted") or by the room's owner or a facilitator, with a
// reason ("removed"). Its text is erased from the store; the tombstone keeps who, when and why.
struct Deletion {
  std::int64_t at = 0;                // ms
  User by;
  std::optional<std::string> reason;  // set when removed by a moderator
  bool operator==(const Deletion&) const = default;
};

struct Message {
  std::string room;
  std::int64_t seq = 0;
  std::int64_t ts = 0;
  User from;
  std::string topic = "general";
  std::string text;
  std::optional<Tag> tag;
  std::optional<std::int64_t> reply_to;
  std::optional<std::string> nonce;
  std::optional<std::int64_t> edited_at;  // ms of the last edit by its author
  std::optional<Deletion> deleted;        // a tombstone: text is empty
  bool operator==(const Message&) const = default;
};

enum class PresenceState { online, away };
std::string_view to_string(PresenceState state);
std::optional<PresenceState> presence_state_from(std::string_view text);

struct PresenceEntry {
  User user;
  PresenceState state = PresenceState::online;
  std::int64_t since = 0;  // ms: when the user's current presence in the room began
  bool operator==(const PresenceEntry&) const = default;
};

enum class PresenceEvent { join, leave, update };
std::string_view to_string(PresenceEvent event);

enum class Role { owner, facilitator, member, observer };
std::string_view to_string(Role role);
std::optional<Role> role_from(std::string_view text);

// Validation rules of the contract, shared by the parser and the server.
bool is_valid_slug(std::string_view id);           // org and room ids: [a-z0-9][a-z0-9._~-]{0,63}
std::size_t utf8_length(std::string_view text);    // code points; the input must be valid UTF-8
bool is_valid_utf8(std::string_view text);
// The rules of `hello`'s fields, for user data that arrives another way (a JWT's claims).
bool is_valid_user_name(std::string_view name);    // 1 to 80 characters, no control character, not blank
bool is_valid_user_id(std::string_view id);        // 1 to 128 characters, no control character
// `text` without its leading and trailing blanks (white space, the zero-width space and the
// BOM, as "not blank" counts them): empty when it is blank through and through.
std::string trim_blank(std::string_view text);

}  // namespace outloud::protocol
