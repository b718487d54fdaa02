// The /metrics latency histograms: buckets are "less than or equal", cumulative in the exposition,
// weighted observations count each, and threads add without losing any.
#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/core/latency_histogram.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace latency_histogram_test {

using outloud::core::LatencyHistogram;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& wanted) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line == wanted) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a latency histogram renders cumulative Prometheus buckets, sum and count", "[metrics]") {
  LatencyHistogram histogram;
  histogram.observe(0us);
  histogram.observe(250us);      // on a bound: that bucket
  histogram.observe(251us);      // just above: the next
  histogram.observe(30ms, 3);    // a write of three frames
  histogram.observe(7s);         // beyond the last bound
  histogram.observe(-5ms);       // a clock that went back counts as 0
  histogram.observe(1ms, 0);     // nothing
  std::string out;
  histogram.render(out, "outloud_test_seconds", "A test.");
  INFO(out);
  CHECK(has_line(out, "# HELP outloud_test_seconds A test."));
  CHECK(has_line(out, "# TYPE outloud_test_seconds histogram"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"0.00025\"} 3"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"0.0005\"} 4"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"0.025\"} 4"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"0.03\"} 7"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"5\"} 7"));
  CHECK(has_line(out, "outloud_test_seconds_bucket{le=\"+Inf\"} 8"));
  CHECK(has_line(out, "outloud_test_seconds_sum 7.090501"));
  CHECK(has_line(out, "outloud_test_seconds_count 8"));
  CHECK(histogram.count() == 8);
}

TEST_CASE("a latency histogram loses no observation made from several threads at once", "[metrics]") {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kEach; ++i) histogram.observe(std::chrono::microseconds(100 * t + i % 7), 2);
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(histogram.count() == 2 * kThreads * kEach);
}

}  // namespace latency_histogram_test
