// What the hub's strands share, so that the node's limits hold for the node and not per strand:
// slots for heavy reads and records, each user's room-creation allowance, the rooms being created
// against max_rooms, and each room's member count (RoomCensus). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/core/room_census.hpp"
#include "server/limits/limits.hpp"
#include "server/net/token_bucket.hpp"

namespace outloud::core {

// At most `max` pieces of work at once on the whole node; the rest wait in line, first come first
// served.
class SharedSlots {
 public:
  explicit SharedSlots(int max) : max_(max < 1 ? 1 : max) {}
  // True: a slot was free and is now the caller's. False: `on_free` waits in line; it is called,
  // holding the slot, from whichever thread frees one (it must only hand the work over).
  bool take_or_wait(std::function<void()> on_free);
  void release();
  int running() const;

 private:
  mutable std::mutex mutex_;
  const int max_;
  int running_ = 0;
  std::deque<std::function<void()>> waiting_;
};

// Each user's room creations, a token bucket each (limits::Hub::create_rate_per_minute), at most
// max_create_allowances users remembered (those idle for a whole refill are forgotten first).
class CreateAllowances {
 public:
  CreateAllowances(double per_minute, std::size_t max_users) : per_minute_(per_minute), max_users_(max_users) {}
  bool take(const std::string& user_id);

 private:
  struct Allowance {
    net::TokenBucket bucket;
    std::chrono::steady_clock::time_point last_used;
  };
  std::mutex mutex_;
  const double per_minute_;
  const std::size_t max_users_;
  std::unordered_map<std::string, Allowance> by_user_;
};

struct NodeWide {
  // `rooms_open`: the gauge of rooms open on the node (Metrics::rooms_active).
  NodeWide(const limits::Hub& limits, std::atomic<std::int64_t>& rooms_open)
      : census(&rooms_open),
        history_reads(limits.max_history_reads_at_once),
        exports(limits.max_exports_at_once),
        create_allowances(limits.create_rate_per_minute, limits.max_create_allowances) {}

  RoomCensus census;
  SharedSlots history_reads;  // history, search and change pages being read and built
  SharedSlots exports;        // session records being built
  CreateAllowances create_allowances;
  std::atomic<std::int64_t> creates_in_flight{0};  // counted against max_rooms until stored
};

}  // namespace outloud::core
