// Latency histogram with ~1.6% resolution (64 linear sub-buckets per power of two), in microseconds.
#pragma once

#include <array>
#include <cstdint>

namespace outloud::bench {

class LatencyHistogram {
 public:
  void record(std::int64_t micros);
  void merge(const LatencyHistogram& other);
  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value below which `fraction` (0..1) of the samples lie, from bucket bounds; 0 when empty.
  std::int64_t percentile(double fraction) const;

 private:
  static constexpr int kLinear = 128;        // values below are exact
  static constexpr int kSubBuckets = 64;
  static constexpr int kMaxExponent = 40;    // about 12 days in microseconds
  static constexpr int kBuckets = kLinear + (kMaxExponent - 6) * kSubBuckets;
  static int bucket_of(std::int64_t value);
  static std::int64_t value_of(int bucket);  // upper bound of the bucket

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace outloud::bench
