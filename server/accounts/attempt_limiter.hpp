// Failed sign-in, redeem and setup attempts per client address (access.md: more than 10 a minute
// get 429). Exact over a sliding window: an address with `max_failures` failures in the last
// `window` is refused until the oldest of them ages out. An attempt counts as failed from the moment
// it begins (so concurrent guesses cannot slip past the limit) until it is known to have succeeded. Memory is bounded by `max_addresses`;
// past it, addresses with no recent failure are forgotten first, then the least recently failing.
// Thread-safe: HTTP sessions of every strand share one.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/limits/limits.hpp"

namespace outloud::accounts {

class AttemptLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // max_failures 0 disables the limit.
  AttemptLimiter(std::size_t max_failures, Clock::duration window,
                 std::size_t max_addresses = limits::Api{}.max_tracked_addresses);

  // The key of an address: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64).
  static std::string key_of(const boost::asio::ip::address& address);

  // Whether `key` may make another attempt now.
  bool allowed(const std::string& key, Clock::time_point now = Clock::now());
  // Records a failed attempt of `key`.
  void failed(const std::string& key, Clock::time_point now = Clock::now());
  // Begins an attempt: counted as failed at once. False (and nothing counted) when over the limit.
  bool try_begin(const std::string& key, Clock::time_point now = Clock::now());
  // The attempt begun at `began` did not fail after all (a right code, or a request that guessed
  // nothing): it stops counting.
  void succeeded(const std::string& key, Clock::time_point began);

  std::size_t tracked() const;

 private:
  void forget_old(std::deque<Clock::time_point>& times, Clock::time_point now) const;
  void make_room(Clock::time_point now);
  // The failures of `key` still inside the window, made (room permitting) if it has none. Lock held.
  std::deque<Clock::time_point>& recent_failures(const std::string& key, Clock::time_point now);

  const std::size_t max_failures_;
  const Clock::duration window_;
  const std::size_t max_addresses_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;  // oldest first, at most max_failures_
};

}  // namespace outloud::accounts
