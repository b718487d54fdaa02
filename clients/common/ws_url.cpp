#include "url.hpp"

#include <charconv>

namespace outloud::client {

std::string WsUrl::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != "80") out += ":" + port;
  return out;
}

std::optional<WsUrl> parse_ws_url(std::string_view text, std::string& error) {
  constexpr std::string_view scheme = "ws://";
  if (text.starts_with("wss://")) {
    error = "wss:// is not supported by this build; use ws:// (put TLS in a reverse proxy)";
    return std::nullopt;
  }
  if (!text.starts_with(scheme)) {
    error = "the URL must start with ws:// (for example ws://127.0.0.1:8080/ws)";
    return std::nullopt;
  }
  text.remove_prefix(scheme.size());
  WsUrl url;
  const auto slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the URL are not supported; use --token";
    return std::nullopt;
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in the URL";
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected text after the IPv6 address in the URL";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  if (port.empty()) {
    url.port = "80";
  } else {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      error = "invalid port in the URL: " + std::string(port);
      return std::nullopt;
    }
    url.port = std::to_string(value);
  }
  return url;
}

}  // namespace outloud::client
