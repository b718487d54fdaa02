// Per-connection rate limit: `rate` tokens per second accrue up to `burst`; each frame takes one.
// Not thread-safe: a session uses it on its own strand.
#pragma once

#include <algorithm>
#include <chrono>

namespace outloud::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // rate <= 0 disables the limit.
  TokenBucket(double rate, double burst, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

  bool try_take(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return true;
    const std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed.count()) * rate_);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace outloud::net
