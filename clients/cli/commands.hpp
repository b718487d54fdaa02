// Turning one line typed by a user (or read from a script) into a frame to send or a local action.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace outloud::client {

// Presence entries asked for per page (in `joined` and each `presence_page`).
inline constexpr int kPresencePage = 100;

// What the next plain line is sent with. current_room changes when the server confirms a join/leave.
struct ComposeState {
  std::string current_room;
  std::string topic = "general";
  std::string tag;  // empty: none; like the web client's, it applies to the next message only
  std::map<std::string, std::string> open_poll;  // room -> id of its open poll (for `/vote <n>`)
  // Interactive sessions join with paged, batched presence (large rooms); scripts get the
  // contract's frames unchanged.
  bool paged_presence = false;
};

enum class LocalAction { none, help, quit, who, sleep };

struct LineOutcome {
  std::string frame;                // JSON text to send; empty when nothing is sent
  std::optional<std::string> re;    // JSON text of the request id a reply will echo; absent: no reply expected
  std::string type;                 // frame type, when known
  std::string room;                 // room the frame concerns, when known
  LocalAction action = LocalAction::none;
  int sleep_ms = 0;
  std::string error;                // a usage error: nothing is sent
  std::string note;                 // informational text for the user (e.g. "topic set")
  bool exists_ok = false;           // `/create -p`: a `conflict` reply (the room exists) is not a failure
};

// `next_id` supplies request ids and is advanced for every request built.
LineOutcome translate_line(std::string_view line, ComposeState& state, std::int64_t& next_id);

// The help text of the slash commands.
std::string_view command_help();

// A random nonce for idempotent resends of one message.
std::string make_nonce();

}  // namespace outloud::client
