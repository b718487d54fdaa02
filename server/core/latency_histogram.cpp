#include "server/core/latency_histogram.hpp"

#include <algorithm>
#include <cstdio>

namespace outloud::core {

void LatencyHistogram::observe(std::chrono::steady_clock::duration duration, std::int64_t count) {
  if (count <= 0) return;
  const auto us = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  // The first bucket whose bound is at least `us` (Prometheus buckets are "less than or equal").
  const auto bucket = static_cast<std::size_t>(std::lower_bound(kBoundsUs.begin(), kBoundsUs.end(), us) - kBoundsUs.begin());
  buckets_[bucket].fetch_add(count, std::memory_order_relaxed);
  sum_us_.fetch_add(us * count, std::memory_order_relaxed);
}

std::int64_t LatencyHistogram::count() const {
  std::int64_t total = 0;
  for (const auto& bucket : buckets_) total += bucket.load(std::memory_order_relaxed);
  return total;
}

void LatencyHistogram::render(std::string& out, std::string_view name, std::string_view help) const {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" histogram\n");
  char number[32];
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBoundsUs.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{le=\"");
    if (i < kBoundsUs.size()) {
      std::snprintf(number, sizeof number, "%g", static_cast<double>(kBoundsUs[i]) / 1e6);
      out.append(number);
    } else {
      out.append("+Inf");
    }
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  std::snprintf(number, sizeof number, "%.6f", static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out.append(name).append("_sum ").append(number).append("\n");
  out.append(name).append("_count ").append(std::to_string(cumulative)).append("\n");
}

}  // namespace outloud::core
