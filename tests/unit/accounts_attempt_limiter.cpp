// access.md: more than 10 failed sign-in, redeem or setup attempts a minute from one address get
// 429. The clock is passed in, so time is exact; no sleeps.
#include <catch2/catch.hpp>

#include <boost/asio/ip/address.hpp>

#include "server/accounts/attempt_limiter.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace accounts_attempt_limiter_test {

using outloud::accounts::AttemptLimiter;
using namespace std::chrono_literals;

TEST_CASE("AttemptLimiter: the 11th attempt within a minute is refused, and the window slides", "[accounts][limiter]") {
  const auto t0 = AttemptLimiter::Clock::time_point{} + 1h;
  AttemptLimiter limiter(10, 60s);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(limiter.allowed("a", t0 + i * 1s));
    limiter.failed("a", t0 + i * 1s);
  }
  CHECK_FALSE(limiter.allowed("a", t0 + 10s));
  CHECK_FALSE(limiter.allowed("a", t0 + 59s));  // the first failure is still inside the minute
  CHECK(limiter.allowed("b", t0 + 10s));        // another address is not affected
  CHECK(limiter.allowed("a", t0 + 60s));        // the first has aged out: one more attempt
  limiter.failed("a", t0 + 60s);
  CHECK_FALSE(limiter.allowed("a", t0 + 60s));
  // Spread out, at most 10 in any minute: never more than 10 failures are let through per window.
  CHECK(limiter.allowed("a", t0 + 121s));
}

TEST_CASE("AttemptLimiter: 0 disables it", "[accounts][limiter]") {
  AttemptLimiter limiter(0, 60s);
  for (int i = 0; i < 100; ++i) limiter.failed("a");
  CHECK(limiter.allowed("a"));
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("AttemptLimiter: memory is bounded; quiet addresses are forgotten first", "[accounts][limiter]") {
  const auto t0 = AttemptLimiter::Clock::time_point{} + 1h;
  AttemptLimiter limiter(2, 60s, 3);
  limiter.failed("old", t0);
  limiter.failed("x", t0 + 30s);
  limiter.failed("x", t0 + 30s);
  limiter.failed("y", t0 + 40s);
  CHECK(limiter.tracked() == 3);
  limiter.failed("z", t0 + 61s);  // "old" has aged out and makes room
  CHECK(limiter.tracked() == 3);
  CHECK_FALSE(limiter.allowed("x", t0 + 61s));
  limiter.failed("w", t0 + 62s);  // all recent: the least recently failing ("x") goes
  CHECK(limiter.tracked() == 3);
}

TEST_CASE("AttemptLimiter: IPv6 addresses count per /64, IPv4-mapped as IPv4", "[accounts][limiter]") {
  using boost::asio::ip::make_address;
  CHECK(AttemptLimiter::key_of(make_address("2001:db8:1:2:aaaa::1")) ==
        AttemptLimiter::key_of(make_address("2001:db8:1:2:bbbb::9")));
  CHECK(AttemptLimiter::key_of(make_address("2001:db8:1:3::1")) !=
        AttemptLimiter::key_of(make_address("2001:db8:1:2::1")));
  CHECK(AttemptLimiter::key_of(make_address("::ffff:10.1.2.3")) == "10.1.2.3");
  CHECK(AttemptLimiter::key_of(make_address("10.1.2.3")) == "10.1.2.3");
}

TEST_CASE("AttemptLimiter: attempts count from their start, and stop counting when they succeed", "[accounts][limiter]") {
  const auto t0 = AttemptLimiter::Clock::time_point{} + 1h;
  AttemptLimiter limiter(3, 60s);
  // Three concurrent attempts in flight fill the window; a fourth is refused before any finishes.
  REQUIRE(limiter.try_begin("a", t0));
  REQUIRE(limiter.try_begin("a", t0 + 1ms));
  REQUIRE(limiter.try_begin("a", t0 + 2ms));
  CHECK_FALSE(limiter.try_begin("a", t0 + 3ms));
  limiter.succeeded("a", t0 + 1ms);  // that one had the right code
  CHECK(limiter.allowed("a", t0 + 4ms));
  CHECK(limiter.try_begin("a", t0 + 4ms));
  CHECK_FALSE(limiter.try_begin("a", t0 + 5ms));
  limiter.succeeded("a", t0);
  limiter.succeeded("a", t0 + 2ms);
  limiter.succeeded("a", t0 + 4ms);
  CHECK(limiter.tracked() == 0);
}

}  // namespace accounts_attempt_limiter_test
