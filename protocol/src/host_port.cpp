#include "outloud/protocol/host_port.hpp"

#include <algorithm>
#include <charconv>

namespace outloud::protocol {

std::string HostPort::text(std::optional<std::uint16_t> default_port) const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port && port != default_port) out += ":" + std::to_string(*port);
  return out;
}

std::variant<HostPort, std::string> parse_host_port(std::string_view text, HostPortRules rules) {
  HostPort out;
  std::string_view host;
  std::optional<std::string_view> port;  // the text after the colon, when there is a colon
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::string("unterminated IPv6 address (missing ']')");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string("unexpected text after the IPv6 address: ") + std::string(rest);
      port = rest.substr(1);
    }
    if (host.empty()) return std::string("the IPv6 address between the brackets is empty");
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        })) {
      return std::string("not an IPv6 address between the brackets: ") + std::string(host);
    }
  } else {
    const auto colon = text.rfind(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return std::string("an IPv6 address needs brackets, as in [::1]:8080");
    }
    if (host.find_first_of("[]/?#@ \t") != std::string_view::npos) {
      return std::string("the host may not contain '[', ']', '/', '?', '#', '@' or spaces");
    }
  }
  if (host.empty()) return std::string("the host is missing");
  out.host = std::string(host);
  if (!port) {
    if (rules.port_required) return std::string("the port is missing (HOST:PORT)");
    return out;
  }
  const unsigned min = rules.port_zero_allowed ? 0 : 1;
  const std::string range_error = "the port must be a number from " + std::to_string(min) + " to 65535";
  // Digits only: no sign, no space, no hex; leading zeros are fine ("00080" is 80).
  if (port->empty() || port->size() > 5 ||
      !std::all_of(port->begin(), port->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return range_error;
  }
  unsigned value = 0;
  std::from_chars(port->data(), port->data() + port->size(), value);
  if (value < min || value > 65535) return range_error;
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace outloud::protocol
