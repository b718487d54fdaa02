// Turns a room's messages as they arrive from the bus (possibly with gaps after a lost
// subscription, possibly repeated) into one gap-free, duplicate-free stream in seq order.
// Pure logic: it asks its owner to fetch missing ranges from the store and to emit frames.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "server/core/connection.hpp"

namespace outloud::core {

class RoomSequencer {
 public:
  static constexpr int kFetchBatch = 500;

  struct Fetch {
    std::int64_t after = 0;  // fetch messages with seq > after ...
    int limit = 0;           // ... at most this many
  };
  struct Actions {
    std::vector<std::pair<std::int64_t, Frame>> emit;  // in seq order, each exactly once
    std::optional<Fetch> fetch;                        // ask the store, then call on_fetched
  };

  bool primed() const { return cursor_ >= 0; }
  // The last seq emitted (-1 before priming).
  std::int64_t cursor() const { return cursor_; }

  // The room's head as read from the store by the first joiner: everything up to it is history.
  Actions prime(std::int64_t head);
  // A message event from the bus.
  Actions on_message(std::int64_t seq, Frame frame);
  // The result of a Fetch, ascending.
  Actions on_fetched(std::vector<std::pair<std::int64_t, Frame>> messages, int requested);
  // A Fetch failed: retry later with resync().
  void on_fetch_failed() { fetching_ = false; }
  // The bus may have dropped messages (it reconnected): look in the store past the cursor.
  Actions resync();

 private:
  Actions drain();
  std::optional<Fetch> next_fetch_for_gap();

  std::int64_t cursor_ = -1;
  std::map<std::int64_t, Frame> pending_;  // arrived ahead of a gap
  bool fetching_ = false;
  bool gap_fetch_in_flight_ = false;  // the fetch in flight was for a known gap (vs. a resync)
};

}  // namespace outloud::core
