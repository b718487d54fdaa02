// Durable state: rooms, messages with their per-room seq, and each room's facilitation state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/backend/result.hpp"

namespace outloud::backend {

struct AppendRequest {
  std::string room;
  protocol::User from;
  std::string topic = "general";
  std::string text;
  std::optional<protocol::Tag> tag;
  std::optional<std::int64_t> reply_to;
  std::optional<std::string> nonce;
  std::int64_t ts = 0;  // ms; the stored message keeps it
};

struct AppendResult {
  protocol::Message message;
  bool duplicate = false;  // the nonce was seen: nothing new stored, this is the first message
};

// A slice of a room's messages, ascending, and the room's last seq when it was read (0 if none).
struct Page {
  std::vector<protocol::Message> messages;
  std::int64_t head = 0;
};

// The room's facilitation state: opaque JSON to the store, versioned for compare-and-set.
struct RoomState {
  std::int64_t version = 0;  // 0: never saved
  std::string json;          // empty when version is 0
};

// Correcting and taking back a message (protocol/README.md "Edits, removal and search").
enum class ChangeKind { edit, delete_, remove };
struct ChangeRequest {
  std::string room;
  std::int64_t seq = 0;
  ChangeKind kind = ChangeKind::edit;
  protocol::User by;   // edit, delete_: must be the author (else `forbidden`); remove: the moderator
  std::string text;    // edit: the new text
  std::string reason;  // remove: why
  std::int64_t ts = 0;  // ms
};
struct ChangeResult {
  protocol::Message message;  // as stored after the change (a tombstone for delete_ and remove)
  std::int64_t version = 0;   // the room's change version given to this change (1, 2, ...)
};
// Messages changed after a version, each once in its current form, in the order of their last change.
struct ChangePage {
  std::vector<protocol::Message> messages;
  std::vector<std::int64_t> versions;  // the change version of each message's last change
  std::int64_t version = 0;  // resume from here: the last change listed, or the room's version if none
  bool more = false;
};
struct SearchRequest {
  std::string room;
  std::vector<std::string> terms;      // every one must occur (a literal word, never an operator)
  std::optional<std::int64_t> before;  // only messages with seq < before
  int limit = 20;
  int scan_limit = 2000;  // stores without an index look at this many messages at most
};
struct SearchPage {
  std::vector<protocol::Message> messages;  // newest first
  std::optional<std::int64_t> next;         // `before` of the next page, when more may match
  std::int64_t scanned = 0;                 // messages looked at (stores without an index)
};
// A room's last seq, how far one person has read it, and how many messages after that marker
// name them (note_mentions; up to protocol::kMaxUnreadCounted).
struct RoomProgress {
  std::int64_t last_seq = 0;
  std::int64_t read = 0;
  std::int64_t mentions = 0;
};

enum class ReadLane { interactive, bulk };

inline constexpr std::int64_t kNonceWindowMs = 24LL * 60 * 60 * 1000;
inline constexpr int kMentionsKept = 200;

class Store {
 public:
  virtual ~Store() = default;

  // `conflict` if a room with this id exists.
  virtual void create_room(protocol::Room room, Callback<protocol::Room> done) = 0;
  virtual void get_room(std::string room, Callback<std::optional<protocol::Room>> done) = 0;
  virtual void list_rooms(Callback<std::vector<protocol::Room>> done) = 0;
  // Replaces the room's title, org, visibility, label and retention_days (access.md); the callback
  // gets the room as stored. `not_found` if no such room.
  virtual void update_room(protocol::Room room, Callback<protocol::Room> done) = 0;
  // Retention: deletes at most `limit` of the room's oldest messages with ts < `ts` and answers how
  // many; seqs are never reused afterwards (the next append still gets head + 1).
  virtual void delete_messages_before(std::string room, std::int64_t ts, int limit, Callback<std::int64_t> done) = 0;
  // How many rooms there are (for --max-rooms).
  virtual void count_rooms(Callback<std::int64_t> done) = 0;
  // One page of rooms: those whose id sorts after `after` (byte order), in id order, at most `limit`.
  virtual void list_rooms_page(std::string after, int limit, Callback<std::vector<protocol::Room>> done) = 0;

  // Gives the message the room's next seq (gap-free from 1), stores it durably, publishes its
  // `message` event on the bus (Bus contract: in seq order per room), then calls back. A nonce
  // that the same user used in the same room within kNonceWindowMs stores and publishes nothing
  // and returns the first message with duplicate = true. `not_found` if the room does not exist.
  // One's own words are read, in the same step: the author's marker of the message's topic moves to
  // it when nothing of the topic before it was unread to them, their marker of the room when it
  // stood just before it (what others wrote that they have not read stays unread).
  virtual void append(AppendRequest request, Callback<AppendResult> done) = 0;

  // Pages of messages. `lane` says who waits for the page: `interactive` reads (a join's snapshot,
  // a gap fetch) go before `bulk` ones (history pages, session records), which a store may read
  // on fewer threads at a lower priority so that they never delay the others.
  // The latest `limit` messages.
  virtual void latest(std::string room, int limit, Callback<Page> done, ReadLane lane = ReadLane::interactive) = 0;
  // Messages with seq > after_seq, the lowest `limit` of them.
  virtual void after(std::string room, std::int64_t after_seq, int limit, Callback<Page> done,
                     ReadLane lane = ReadLane::interactive) = 0;
  // Messages with seq < before_seq, the highest `limit` of them.
  virtual void before(std::string room, std::int64_t before_seq, int limit, Callback<Page> done,
                      ReadLane lane = ReadLane::interactive) = 0;

  virtual void load_state(std::string room, Callback<RoomState> done) = 0;
  // Saves `json` as version expected_version + 1 if the stored version is expected_version;
  // the callback gets true if saved, false if another writer got there first.
  virtual void save_state(std::string room, std::int64_t expected_version, std::string json,
                          Callback<bool> done) = 0;

  // Applies one change to a stored message and gives it the room's next change version, atomically.
  // `not_found`: no such room or message; `forbidden`: an edit or delete by someone else than the
  // author; `conflict`: the message was already deleted or removed. Publishes nothing.
  virtual void change_message(ChangeRequest request, Callback<ChangeResult> done) = 0;
  // The messages changed after `since`, at most `limit`; since absent: none, with the current version.
  virtual void changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                             Callback<ChangePage> done) = 0;
  // Messages of the room containing every term (case-insensitive), newest first. Never matches a
  // deleted message. Runs on the store's own thread or server, never the caller's.
  virtual void search(SearchRequest request, Callback<SearchPage> done) = 0;
  // ---- topics and read markers (OutLoud extension; every read bounded by its limit) ----
  // One topic's messages, ascending: seq < before, seq > after, or the latest (neither given).
  virtual void topic_page(std::string room, std::string topic, std::optional<std::int64_t> before,
                          std::optional<std::int64_t> after, int limit, Callback<Page> done) = 0;
  // The room's topics whose last seq is below `before` (0: all), most recently active first, at most
  // `limit`; `unread` counts (up to protocol::kMaxUnreadCounted) the topic's messages after the
  // user's marker for the topic or for the whole room, whichever is further.
  virtual void list_topics(std::string room, std::string user, std::int64_t before, int limit,
                           Callback<std::vector<protocol::TopicSummary>> done) = 0;
  // Raises the user's read marker of the room (`topic` empty) or of one topic to `seq`; markers never
  // go back. The callback gets the marker as stored.
  virtual void mark_read(std::string user, std::string room, std::string topic, std::int64_t seq,
                         Callback<std::int64_t> done) = 0;
  // For each room: its last seq, the user's read marker of the whole room, and how many of the
  // user's mentions in it come after that marker (among messages not deleted by retention).
  virtual void read_progress(std::string user, std::vector<std::string> rooms,
                             Callback<std::vector<RoomProgress>> done) = 0;
  // Keeps that message `seq` of the room names these users (so that someone who was away learns
  // of it from read_progress). A store keeps at most kMentionsKept per person and room, the newest.
  virtual void note_mentions(std::string room, std::int64_t seq, std::vector<std::string> users,
                             Callback<Unit> done) = 0;

  // Counts for /metrics (cheap, may be approximate for remote stores).
  virtual std::int64_t messages_stored() const = 0;
};

}  // namespace outloud::backend
