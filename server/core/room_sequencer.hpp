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
  // Messages held ahead of a gap at most; beyond, they are dropped and read from the store instead
  // (every message on the bus is stored first), so a failing store cannot make the buffer grow.
  static constexpr std::size_t kMaxPending = 10'000;

  explicit RoomSequencer(std::size_t max_pending = kMaxPending) : max_pending_(max_pending) {}

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
  // A Fetch failed: the owner calls retry() later (on a timer: a quiet room gets no other chance).
  void on_fetch_failed() { fetching_ = false; }
  // After a failed Fetch: asks again for what is still missing (the gap, or the rest of a resync).
  Actions retry();
  // Messages held ahead of a gap (bounded by max_pending).
  std::size_t pending() const { return pending_.size(); }
  // The bus may have dropped messages (it reconnected): look in the store past the cursor.
  Actions resync();

 private:
  Actions drain();
  std::optional<Fetch> next_fetch_for_gap();

  std::size_t max_pending_;
  bool overflowed_ = false;  // pending messages were dropped: read on from the store to the head
  std::int64_t cursor_ = -1;
  std::map<std::int64_t, Frame> pending_;  // arrived ahead of a gap
  bool fetching_ = false;
  bool gap_fetch_in_flight_ = false;  // the fetch in flight was for a known gap (vs. a resync)
};

}  // namespace outloud::core
