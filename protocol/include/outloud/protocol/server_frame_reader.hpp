// The client direction, part two: reading the frames a server sends. The frames of
// server_frames.hpp that clients act on are decoded into the same types the server serialized them
// from, and validated as strictly as parse_client_frame validates a client's frames (required
// fields, types, ranges, slugs, valid UTF-8); any other frame (facilitation events, access
// replies) is passed on as its JSON object with its type and `re`.
//
// One reader per connection (or thread): it keeps its buffers and parses in place, so reading a
// `message` or a `sent` allocates nothing once the first few frames have been read (outloud-bench
// reads one per delivery). protocol/README.md "For client authors" has the details.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "outloud/protocol/server_frames.hpp"
#include "outloud/protocol/types.hpp"

namespace outloud::protocol {

enum class ServerFrameKind {
  welcome, pong, ok, error, created, rooms, joined, left, sent, history, message, presence,
  presence_page, presence_batch, changed, found, typing, message_batch,
  other,  // a valid JSON object with a string `type` this reader does not decode; see json()
};

struct WelcomeFrame {
  User user;
  Privileges privileges;
  std::string session;
  std::string node;
  std::int64_t server_time = 0;
};
struct ErrorFrame {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};
struct RoomsFrame {
  std::vector<RoomListing> rooms;
  std::optional<std::string> next;
};
struct SentFrame {
  std::string room;
  std::int64_t seq = 0;
  std::int64_t ts = 0;
};
struct PresenceChange {  // a `presence` event (also each entry of a `presence_batch`)
  std::string room;
  PresenceEvent event = PresenceEvent::join;
  User user;
  PresenceState state = PresenceState::online;
};
struct PresencePageFrame {
  std::string room;
  std::vector<PresenceEntry> presence;
  int online = 0;
  std::optional<std::string> next;
};
struct PresenceBatchFrame {
  std::string room;
  int online = 0;
  std::vector<PresenceChange> changes;
};
struct HistoryFrame {
  std::string room;
  std::vector<Message> messages;
};
struct MessageBatchFrame {  // `message` events of one round, in seq order
  std::string room;
  std::vector<Message> messages;
};
struct ChangedFrame {
  std::string room;
  std::int64_t version = 0;
  Message message;
};
struct FoundFrame {
  std::string room;
  std::string query;
  std::vector<Message> messages;
  std::optional<std::int64_t> next;
  std::int64_t scanned = 0;
};
struct TypingFrame {
  std::string room;
  User user;
  std::string topic;
};

class ServerFrameReader {
 public:
  ServerFrameReader();
  ~ServerFrameReader();
  ServerFrameReader(const ServerFrameReader&) = delete;
  ServerFrameReader& operator=(const ServerFrameReader&) = delete;

  // Reads one text frame. False when it is not a JSON object with a string `type`, or when a frame
  // this reader decodes breaks a rule; error() then says which ("field 'seq' must be an integer
  // from 1 to 2^53"), while type() and re() still hold what could be read (kind() is `other`).
  bool read(std::string_view text);
  const std::string& error() const { return error_; }

  ServerFrameKind kind() const { return kind_; }
  std::string_view type() const { return type_; }
  const std::optional<RequestId>& re() const { return re_; }
  // The frame as parsed; valid until the next read().
  const rapidjson::Value& json() const { return document_; }

  // The decoded frame of kind(); each is valid until the next read() of a frame of its kind.
  const WelcomeFrame& welcome() const { return welcome_; }
  const ErrorFrame& error_frame() const { return error_frame_; }
  const Room& created() const { return created_; }
  const RoomsFrame& rooms() const { return rooms_; }
  // `session_json` holds the room's facilitation state as compact JSON text.
  const JoinedReply& joined() const { return joined_; }
  const std::string& left() const { return left_; }  // the room left
  const SentFrame& sent() const { return sent_; }
  const HistoryFrame& history() const { return history_; }
  const Message& message() const { return message_; }
  const MessageBatchFrame& message_batch() const { return message_batch_; }
  const PresenceChange& presence() const { return presence_; }
  const PresencePageFrame& presence_page() const { return presence_page_; }
  const PresenceBatchFrame& presence_batch() const { return presence_batch_; }
  const ChangedFrame& changed() const { return changed_; }
  const FoundFrame& found() const { return found_; }
  const TypingFrame& typing() const { return typing_; }

 private:
  void decode();  // throws detail::InvalidFrame

  // Parsing uses memory of its own, reset before each frame: no allocation per frame.
  std::unique_ptr<char[]> value_buffer_;
  std::unique_ptr<char[]> stack_buffer_;
  rapidjson::MemoryPoolAllocator<> value_pool_;
  rapidjson::MemoryPoolAllocator<> stack_pool_;
  // Values and the parser's stack both come from pools whose first chunk is a buffer of ours.
  rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>, rapidjson::MemoryPoolAllocator<>>
      document_;

  std::string insitu_;  // the frame's text, parsed in place: the document's strings point into it
  std::string error_;
  ServerFrameKind kind_ = ServerFrameKind::other;
  std::string_view type_;
  std::optional<RequestId> re_;

  WelcomeFrame welcome_;
  ErrorFrame error_frame_;
  Room created_;
  RoomsFrame rooms_;
  JoinedReply joined_;
  std::string left_;
  SentFrame sent_;
  HistoryFrame history_;
  Message message_;
  MessageBatchFrame message_batch_;
  PresenceChange presence_;
  PresencePageFrame presence_page_;
  PresenceBatchFrame presence_batch_;
  ChangedFrame changed_;
  FoundFrame found_;
  TypingFrame typing_;
};

}  // namespace outloud::protocol
