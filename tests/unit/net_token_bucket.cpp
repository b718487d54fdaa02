// Per-connection rate limit: burst at once, then `rate` per second. The clock is passed in, so
// time is simulated exactly; no sleeps.
#include <catch2/catch.hpp>

#include <chrono>

#include "server/net/token_bucket.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_token_bucket_test {

using outloud::net::TokenBucket;
using namespace std::chrono_literals;

namespace {

int take_all(TokenBucket& bucket, TokenBucket::Clock::time_point now, int limit = 10'000) {
  int taken = 0;
  while (taken < limit && bucket.try_take(now)) ++taken;
  return taken;
}

}  // namespace

TEST_CASE("TokenBucket: a full burst at once, then nothing until time passes", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(10, 5, t0);
  CHECK(take_all(bucket, t0) == 5);
  CHECK_FALSE(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0 + 50ms));  // half a token period: still nothing
}

TEST_CASE("TokenBucket: refills at `rate` per second", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(10, 5, t0);  // one token per 100 ms
  REQUIRE(take_all(bucket, t0) == 5);

  CHECK(bucket.try_take(t0 + 100ms));
  CHECK_FALSE(bucket.try_take(t0 + 100ms));
  CHECK(take_all(bucket, t0 + 300ms) == 2);      // two more periods
  CHECK(take_all(bucket, t0 + 350ms) == 0);      // half a period accrued...
  CHECK(take_all(bucket, t0 + 400ms) == 1);      // ...and the other half completes a token

  SECTION("a steady sender at the rate is never refused") {
    auto now = t0 + 400ms;
    for (int i = 0; i < 100; ++i) {
      now += 100ms;
      CHECK(bucket.try_take(now));
    }
  }
  SECTION("a sender faster than the rate gets about `rate` per second") {
    auto now = t0 + 400ms;
    int accepted = 0;
    for (int i = 0; i < 1000; ++i) {  // 1000 frames over 10 s
      now += 10ms;
      accepted += bucket.try_take(now) ? 1 : 0;
    }
    CHECK(accepted >= 99);
    CHECK(accepted <= 101);
  }
}

TEST_CASE("TokenBucket: a quiet spell refills up to the burst, not beyond", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(30, 60, t0);  // the server's defaults
  REQUIRE(take_all(bucket, t0) == 60);
  CHECK(take_all(bucket, t0 + 1s) == 30);
  CHECK(take_all(bucket, t0 + 1h) == 60);
}

TEST_CASE("TokenBucket: a burst below one still lets one frame through", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(1, 0, t0);
  CHECK(take_all(bucket, t0) == 1);
  CHECK(take_all(bucket, t0 + 10s) == 1);
}

TEST_CASE("TokenBucket: rate 0 (or below) means unlimited", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket off(0, 1, t0);
  CHECK(take_all(off, t0, 5'000) == 5'000);
  TokenBucket negative(-1, 1, t0);
  CHECK(take_all(negative, t0, 5'000) == 5'000);
}

TEST_CASE("TokenBucket: a clock reading earlier than the last one grants nothing", "[net]") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(10, 2, t0);
  REQUIRE(take_all(bucket, t0) == 2);
  CHECK_FALSE(bucket.try_take(t0 - 10s));
}

TEST_CASE("TokenBucket: the default arguments read the steady clock", "[net]") {
  TokenBucket bucket(1, 3);  // one token per second: none accrues during this test
  CHECK(bucket.try_take());
  CHECK(bucket.try_take());
  CHECK(bucket.try_take());
  CHECK_FALSE(bucket.try_take());
}

}  // namespace net_token_bucket_test
