// A Prometheus histogram of durations that any thread may add to without a lock. Its buckets are
// fixed (a quarter of a millisecond to five seconds): enough to read a p50 or a p99 off the
// difference of two scrapes, as scripts/bench-fanout-cost does.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace outloud::core {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, in microseconds; one more bucket (+Inf) takes the rest. Finer
  // around tens of milliseconds, where a round (20 ms) and a delivery goal (50 ms) lie.
  static constexpr std::array<std::int64_t, 23> kBoundsUs = {
      250,   500,   1000,  2000,   3000,   5000,   7500,   10000,  15000,   20000,   25000,   30000,
      40000, 50000, 75000, 100000, 150000, 200000, 300000, 500000, 1000000, 2000000, 5000000};

  // `count` observations of `duration` each (a write of several frames that waited as long).
  void observe(std::chrono::steady_clock::duration duration, std::int64_t count = 1);
  // The family `name` in the text exposition format: cumulative buckets, _sum (seconds) and _count.
  void render(std::string& out, std::string_view name, std::string_view help) const;
  std::int64_t count() const;

 private:
  std::array<std::atomic<std::int64_t>, kBoundsUs.size() + 1> buckets_{};
  std::atomic<std::int64_t> sum_us_{0};
};

}  // namespace outloud::core
