#include "ws_url.hpp"

#include "outloud/protocol/host_port.hpp"

namespace outloud::client {

std::string WsUrl::host_header() const {
  return protocol::HostPort{host, static_cast<std::uint16_t>(std::stoi(port))}.text(80);
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
  const std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the URL are not supported; use --token";
    return std::nullopt;
  }
  auto parsed = protocol::parse_host_port(authority, {.port_required = false, .port_zero_allowed = false});
  if (auto* why = std::get_if<std::string>(&parsed)) {
    error = "invalid address in the URL: " + *why;
    return std::nullopt;
  }
  auto& address = std::get<protocol::HostPort>(parsed);
  url.host = std::move(address.host);
  url.port = std::to_string(address.port.value_or(80));
  return url;
}

}  // namespace outloud::client
