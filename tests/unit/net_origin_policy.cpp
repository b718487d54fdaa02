// access.md "Origins": the server's own origin (--public-url, or the Host it was reached on) and
// --allowed-origin pass; everything else a browser sends, "null" included, is refused.
#include <catch2/catch.hpp>

#include "server/net/origin_policy.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_origin_policy_test {

using outloud::net::normalize_origin;
using outloud::net::OriginPolicy;

TEST_CASE("normalize_origin: scheme and host lowercased, default ports dropped", "[net][origin]") {
  CHECK(normalize_origin("http://Example.ORG") == "http://example.org");
  CHECK(normalize_origin("http://example.org:80") == "http://example.org");
  CHECK(normalize_origin("https://example.org:443") == "https://example.org");
  CHECK(normalize_origin("HTTPS://example.org:8443") == "https://example.org:8443");
  CHECK(normalize_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
  CHECK(normalize_origin("http://[::1]:8080") == "http://[::1]:8080");
}

TEST_CASE("normalize_origin: refuses what is not an http(s) origin", "[net][origin]") {
  for (const char* text : {"null", "", "file://", "chrome-extension://abc", "http://", "http://a.org/path",
                           "http://user@a.org", "http://a.org:0", "http://a.org:70000", "http://a.org:x",
                           "http://a b.org", "http://[::1", "//a.org", "http://a.org?q", "http://a.org/"}) {
    CAPTURE(text);
    CHECK_FALSE(normalize_origin(text));
  }
}

TEST_CASE("OriginPolicy: no Origin is judged by credentials alone", "[net][origin]") {
  const OriginPolicy policy("", {});
  CHECK(policy.allows(false, "", "127.0.0.1:8080"));
}

TEST_CASE("OriginPolicy: the Host it was reached on is its own origin", "[net][origin]") {
  const OriginPolicy policy("", {});
  CHECK(policy.allows(true, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  CHECK(policy.allows(true, "http://LOCALHOST:8080", "localhost:8080"));
  CHECK(policy.allows(true, "http://chat.example.org", "chat.example.org:80"));
  // Behind a proxy that ends TLS and keeps the Host.
  CHECK(policy.allows(true, "https://chat.example.org", "chat.example.org"));
  CHECK(policy.allows(true, "http://[::1]:8080", "[::1]:8080"));

  SECTION("same host, another port: another origin") {
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1:9999", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "https://chat.example.org", "chat.example.org:80"));
  }
  SECTION("another site, null, forged shapes") {
    CHECK_FALSE(policy.allows(true, "http://evil.example", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "null", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1:8080.evil.example", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1:8080/", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "http://evil.example@127.0.0.1:8080", "127.0.0.1:8080"));
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1:8080", ""));
    CHECK_FALSE(policy.allows(true, "http://127.0.0.1:8080", "evil.example, 127.0.0.1:8080"));
  }
}

TEST_CASE("OriginPolicy: --public-url and --allowed-origin", "[net][origin]") {
  const OriginPolicy policy("https://chat.example.org/", {"https://intranet.example.net:8443", "http://Tools.example.org"});
  CHECK(policy.allows(true, "https://chat.example.org", "10.0.0.5:8080"));
  CHECK(policy.allows(true, "https://chat.example.org:443", "10.0.0.5:8080"));
  CHECK(policy.allows(true, "https://intranet.example.net:8443", "10.0.0.5:8080"));
  CHECK(policy.allows(true, "http://tools.example.org", "10.0.0.5:8080"));
  CHECK_FALSE(policy.allows(true, "http://chat.example.org", "10.0.0.5:8080"));          // another scheme
  CHECK_FALSE(policy.allows(true, "https://intranet.example.net", "10.0.0.5:8080"));     // another port
  CHECK_FALSE(policy.allows(true, "https://evil.chat.example.org", "10.0.0.5:8080"));    // a subdomain
  CHECK(policy.allows(true, "http://10.0.0.5:8080", "10.0.0.5:8080"));                   // still its Host
}

}  // namespace net_origin_policy_test
