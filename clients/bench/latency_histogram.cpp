#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace outloud::bench {

int LatencyHistogram::bucket_of(std::int64_t value) {
  if (value < kLinear) return static_cast<int>(std::max<std::int64_t>(value, 0));
  const auto v = static_cast<std::uint64_t>(value);
  const int exponent = std::min(63 - std::countl_zero(v), kMaxExponent);  // >= 7
  const int sub = static_cast<int>((v >> (exponent - 6)) & (kSubBuckets - 1));
  return std::min(kLinear + (exponent - 7) * kSubBuckets + sub, kBuckets - 1);
}

std::int64_t LatencyHistogram::value_of(int bucket) {
  if (bucket < kLinear) return bucket;
  const int exponent = 7 + (bucket - kLinear) / kSubBuckets;
  const int sub = (bucket - kLinear) % kSubBuckets;
  return ((std::int64_t{kSubBuckets} + sub + 1) << (exponent - 6)) - 1;
}

void LatencyHistogram::record(std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  ++buckets_[bucket_of(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::int64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(value_of(i), max_);
  }
  return max_;
}

}  // namespace outloud::bench
