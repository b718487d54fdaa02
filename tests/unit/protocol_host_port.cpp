// The one HOST:PORT parser of the programs (--listen, the clients' ws:// URLs): names, IPv4, IPv6 in
// brackets, missing and out-of-range ports, and the rules that differ between its callers.
#include <catch2/catch.hpp>

#include <string>

#include "outloud/protocol/host_port.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_host_port_test {

using namespace outloud::protocol;

namespace {

constexpr HostPortRules kListen{.port_required = true, .port_zero_allowed = true};
constexpr HostPortRules kUrl{.port_required = false, .port_zero_allowed = false};

HostPort accepted(const std::string& text, HostPortRules rules) {
  INFO(text);
  auto parsed = parse_host_port(text, rules);
  if (const auto* why = std::get_if<std::string>(&parsed)) FAIL("refused: " << *why);
  return std::get<HostPort>(parsed);
}

std::string refusal(const std::string& text, HostPortRules rules) {
  INFO(text);
  auto parsed = parse_host_port(text, rules);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

}  // namespace

TEST_CASE("host_port: names, IPv4 and bracketed IPv6 with their ports", "[protocol][host_port]") {
  struct Case {
    const char* text;
    const char* host;
    unsigned port;
  };
  const Case cases[] = {
      {"localhost:8080", "localhost", 8080},   {"example.org:1", "example.org", 1},
      {"chat.essex.gov.uk:443", "chat.essex.gov.uk", 443}, {"127.0.0.1:65535", "127.0.0.1", 65535},
      {"[::1]:8080", "::1", 8080},             {"[fe80::1]:9", "fe80::1", 9},
      {"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80}, {"host:00080", "host", 80},
  };
  for (const auto& c : cases) {
    for (const HostPortRules rules : {kListen, kUrl}) {
      const HostPort parsed = accepted(c.text, rules);
      CHECK(parsed.host == c.host);
      CHECK(parsed.port == std::optional<std::uint16_t>(static_cast<std::uint16_t>(c.port)));
    }
  }
}

TEST_CASE("host_port: a missing port is refused where it is required, absent where it is not", "[protocol][host_port]") {
  for (const char* text : {"localhost", "127.0.0.1", "[::1]"}) {
    CHECK_THAT(refusal(text, kListen), Catch::Matchers::Contains("port is missing"));
    const HostPort parsed = accepted(text, kUrl);
    CHECK_FALSE(parsed.port.has_value());
  }
  CHECK(accepted("[::1]", kUrl).host == "::1");
  // A colon with nothing after it is a malformed port, not an absent one.
  for (const char* text : {"localhost:", "[::1]:"}) {
    CHECK_THAT(refusal(text, kListen), Catch::Matchers::Contains("port must be a number"));
    CHECK_THAT(refusal(text, kUrl), Catch::Matchers::Contains("port must be a number"));
  }
}

TEST_CASE("host_port: ports out of range or not decimal", "[protocol][host_port]") {
  for (const char* text : {"host:65536", "host:99999", "host:123456", "host:-1", "host:+80", "host:80x", "host: 80",
                           "host:0x50", "host:8 0", "[::1]:70000"}) {
    CHECK_THAT(refusal(text, kListen), Catch::Matchers::Contains("from 0 to 65535"));
    CHECK_THAT(refusal(text, kUrl), Catch::Matchers::Contains("from 1 to 65535"));
  }
  // Port 0 (the system picks one) is for listening only.
  CHECK(accepted("127.0.0.1:0", kListen).port == std::optional<std::uint16_t>(0));
  CHECK(accepted("[::]:0", kListen).port == std::optional<std::uint16_t>(0));
  CHECK_THAT(refusal("127.0.0.1:0", kUrl), Catch::Matchers::Contains("from 1 to 65535"));
}

TEST_CASE("host_port: IPv6 needs its brackets, and the brackets an address", "[protocol][host_port]") {
  for (const HostPortRules rules : {kListen, kUrl}) {
    CHECK_THAT(refusal("::1:8080", rules), Catch::Matchers::Contains("needs brackets"));
    CHECK_THAT(refusal("a:b:c", rules), Catch::Matchers::Contains("needs brackets"));
    CHECK_THAT(refusal("[::1:8080", rules), Catch::Matchers::Contains("unterminated"));
    CHECK_THAT(refusal("[::1]8080", rules), Catch::Matchers::Contains("after the IPv6 address"));
    CHECK_THAT(refusal("[]:8080", rules), Catch::Matchers::Contains("empty"));
    CHECK_THAT(refusal("[example.org]:80", rules), Catch::Matchers::Contains("not an IPv6 address"));
  }
}

TEST_CASE("host_port: the host must be there and be a name or address", "[protocol][host_port]") {
  for (const HostPortRules rules : {kListen, kUrl}) {
    CHECK_THAT(refusal("", rules), Catch::Matchers::Contains("host is missing"));
    CHECK_THAT(refusal(":8080", rules), Catch::Matchers::Contains("host is missing"));
    CHECK_THAT(refusal("user@host:80", rules), Catch::Matchers::Contains("may not contain"));
    CHECK_THAT(refusal("ho st:80", rules), Catch::Matchers::Contains("may not contain"));
  }
}

TEST_CASE("host_port: text() writes host[:port] back, IPv6 bracketed, a default port left out", "[protocol][host_port]") {
  CHECK(HostPort{"::1", 8080}.text() == "[::1]:8080");
  CHECK(HostPort{"::1", 80}.text(80) == "[::1]");
  CHECK(HostPort{"localhost", 80}.text(80) == "localhost");
  CHECK(HostPort{"localhost", 8080}.text(80) == "localhost:8080");
  CHECK(HostPort{"127.0.0.1", std::nullopt}.text() == "127.0.0.1");
}

}  // namespace protocol_host_port_test
