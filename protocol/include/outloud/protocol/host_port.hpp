// "HOST:PORT" as the programs take it: the server's --listen address and the authority of the
// clients' ws:// URLs. One parser, so every program accepts and refuses the same forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace outloud::protocol {

struct HostPort {
  std::string host;                   // a name, an IPv4 address, or an IPv6 address without its brackets
  std::optional<std::uint16_t> port;  // absent when the text had none (and the rules allow that)

  // host[:port] again, an IPv6 literal bracketed; `default_port` is left out.
  std::string text(std::optional<std::uint16_t> default_port = std::nullopt) const;
};

struct HostPortRules {
  bool port_required = true;   // "host" alone is refused
  bool port_zero_allowed = false;  // --listen HOST:0 lets the system pick a free port
};

// Accepts "name:80", "127.0.0.1:80", "[::1]:80" (and without ":port" when the rules allow). An IPv6
// address needs its brackets; the port is 1..65535 in decimal (0 too when allowed). On failure,
// the reason as text ("the port must be a number from 1 to 65535").
std::variant<HostPort, std::string> parse_host_port(std::string_view text, HostPortRules rules = {});

}  // namespace outloud::protocol
