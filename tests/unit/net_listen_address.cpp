// "--listen HOST:PORT": the accepted forms, the refusals, and the text of an endpoint. No sockets:
// resolving numeric hosts only reads them.
#include <catch2/catch.hpp>

#include <string>

#include "server/net/listen_address.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_listen_address_test {

using outloud::net::endpoint_text;
using outloud::net::parse_listen_address;
using outloud::net::resolve_listen_address;
namespace ip = boost::asio::ip;

TEST_CASE("parse_listen_address: accepted forms", "[net]") {
  struct Case {
    const char* text;
    const char* host;
    unsigned port;
  };
  const Case cases[] = {
      {"127.0.0.1:8080", "127.0.0.1", 8080}, {"[::1]:0", "::1", 0},          {"localhost:80", "localhost", 80},
      {"0.0.0.0:65535", "0.0.0.0", 65535},   {"[::]:443", "::", 443},        {"example.org:1", "example.org", 1},
      {"[fe80::1]:9", "fe80::1", 9},         {"host:00080", "host", 80},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const auto parsed = parse_listen_address(c.text);
    REQUIRE(parsed);
    CHECK(parsed->host == c.host);
    CHECK(parsed->port == c.port);
  }
}

TEST_CASE("parse_listen_address: refusals", "[net]") {
  const char* refused[] = {
      "",                 // nothing
      "127.0.0.1",        // no port
      "127.0.0.1:",       // empty port
      "localhost",        // no port
      "[::1]",            // no port
      "[::1]:",           // empty port
      "127.0.0.1:65536",  // port out of range
      "127.0.0.1:99999",
      "127.0.0.1:123456",  // too many digits
      ":8080",             // empty host
      "[]:8080",           // empty IPv6 literal
      "::1:8080",          // bare IPv6 needs brackets
      "[::1:8080",         // unclosed bracket
      "[::1]8080",         // no colon after the bracket
      "127.0.0.1:-1",      // negative
      "127.0.0.1:+80",
      "127.0.0.1:80x",     // trailing garbage
      "127.0.0.1: 80",
      "127.0.0.1:0x50",
      "garbage",
      ":",
      "a:b:c",
  };
  for (const char* text : refused) {
    CAPTURE(text);
    CHECK_FALSE(parse_listen_address(text));
  }
}

TEST_CASE("resolve_listen_address: numeric hosts, IPv4 first; endpoint_text", "[net]") {
  const auto v4 = resolve_listen_address({"127.0.0.1", 8080});
  REQUIRE(v4.size() == 1);
  CHECK(v4.front().address() == ip::make_address("127.0.0.1"));
  CHECK(v4.front().port() == 8080);
  CHECK(endpoint_text(v4.front()) == "127.0.0.1:8080");

  const auto v6 = resolve_listen_address({"::1", 0});
  REQUIRE(v6.size() == 1);
  CHECK(v6.front().address() == ip::make_address("::1"));
  CHECK(endpoint_text(v6.front()) == "[::1]:0");

  CHECK(endpoint_text(ip::tcp::endpoint(ip::make_address("0.0.0.0"), 65535)) == "0.0.0.0:65535");

  const auto local = resolve_listen_address({"localhost", 80});
  REQUIRE_FALSE(local.empty());
  for (std::size_t i = 1; i < local.size(); ++i) {
    CHECK_FALSE(local[i] == local[i - 1]);  // duplicates removed
    if (local[i].address().is_v4()) CHECK(local[i - 1].address().is_v4());  // IPv4 first
  }
}

}  // namespace net_listen_address_test
