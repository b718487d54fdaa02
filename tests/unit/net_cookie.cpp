// access.md "Sessions": the cookie outloud_session (HttpOnly, SameSite=Lax, Secure on https) and
// the token of an HTTP request (Authorization: Bearer, else the cookie).
#include <catch2/catch.hpp>

#include "server/net/cookie.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_cookie_test {

using namespace outloud::net;
using namespace std::chrono_literals;

TEST_CASE("find_cookie: the named cookie among others", "[net][cookie]") {
  CHECK(find_cookie("outloud_session=abc", "outloud_session") == "abc");
  CHECK(find_cookie("a=1; outloud_session=abc; b=2", "outloud_session") == "abc");
  CHECK(find_cookie("a=1;outloud_session=\"abc\"", "outloud_session") == "abc");
  CHECK(find_cookie("outloud_session=first; outloud_session=second", "outloud_session") == "first");
  CHECK_FALSE(find_cookie("xoutloud_session=abc; outloud_sessionx=abc", "outloud_session"));
  CHECK_FALSE(find_cookie("", "outloud_session"));
  CHECK_FALSE(find_cookie("outloud_session", "outloud_session"));
}

TEST_CASE("session_cookie: HttpOnly, SameSite=Lax, Path=/, Secure only on https", "[net][cookie]") {
  const auto plain = session_cookie("tok", CookieSettings{false, 0s});
  CHECK(plain == "outloud_session=tok; Path=/; HttpOnly; SameSite=Lax");
  const auto secure = session_cookie("tok", CookieSettings{true, 3600s});
  CHECK(secure == "outloud_session=tok; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600");
  CHECK(cleared_session_cookie(CookieSettings{true, 3600s}) ==
        "outloud_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0");
}

TEST_CASE("request_token: Bearer first, then the cookie", "[net][cookie]") {
  CHECK(request_token("Bearer abc", "outloud_session=def") == "abc");
  CHECK(request_token("", "a=1; outloud_session=def") == "def");
  CHECK(request_token("Basic abc", "outloud_session=def") == "def");
  CHECK(request_token("Bearer ", "outloud_session=") == std::nullopt);
  CHECK(request_token("", "") == std::nullopt);
}

}  // namespace net_cookie_test
