#include "server/net/origin_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace outloud::net {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_host_char(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%' || c == '!' || c == '$' ||
         c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';' || c == '=';
}

// "host[:port]" or "[v6][:port]" split into host and port text ("" when absent); nullopt if malformed.
std::optional<std::pair<std::string_view, std::string_view>> split_authority(std::string_view authority) {
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    for (unsigned char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(c) && c != ':' && c != '.') return std::nullopt;
    }
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!std::all_of(host.begin(), host.end(), [](unsigned char c) { return is_host_char(c); })) return std::nullopt;
  }
  if (host.empty() || host == "[]") return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
  }
  return std::pair{host, port};
}

// "host[:port]" lowercased, with `default_port` dropped.
std::optional<std::string> normalize_authority(std::string_view authority, std::string_view default_port) {
  const auto parts = split_authority(authority);
  if (!parts) return std::nullopt;
  auto [host, port] = *parts;
  // "08080" and "8080" are one port.
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
  std::string out = lower(host);
  if (!port.empty() && port != default_port) out += ":" + std::string(port);
  return out;
}

}  // namespace

std::optional<std::string> normalize_origin(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(text.substr(0, scheme_end));
  std::string_view default_port;
  if (scheme == "http") {
    default_port = "80";
  } else if (scheme == "https") {
    default_port = "443";
  } else {
    return std::nullopt;
  }
  const std::string_view authority = text.substr(scheme_end + 3);
  if (authority.find_first_of("/?#@\\ ") != std::string_view::npos) return std::nullopt;
  const auto normalized = normalize_authority(authority, default_port);
  if (!normalized) return std::nullopt;
  return scheme + "://" + *normalized;
}

OriginPolicy::OriginPolicy(std::string_view own, const std::vector<std::string>& allowed) {
  // A configured URL may end with "/" (--public-url https://chat.example.org/); an Origin never does.
  auto add = [this](std::string_view text) {
    while (!text.empty() && text.back() == '/') text.remove_suffix(1);
    if (auto origin = normalize_origin(text)) allowed_.push_back(std::move(*origin));
  };
  add(own);
  for (const auto& text : allowed) add(text);
}

bool OriginPolicy::allows(bool has_origin, std::string_view origin_text, std::string_view host) const {
  if (!has_origin) return true;
  const auto origin = normalize_origin(origin_text);
  if (!origin) return false;  // "null" (sandboxed frames, file:, some redirects) and anything malformed
  if (std::find(allowed_.begin(), allowed_.end(), *origin) != allowed_.end()) return true;
  // The Host it was reached on: directly over http, or through a proxy that ends TLS and keeps the
  // Host (deploy/nginx), so the origin's scheme may be either; host and port must match exactly.
  const auto scheme_end = origin->find("://");
  const std::string_view scheme = std::string_view(*origin).substr(0, scheme_end);
  const auto reached = normalize_authority(host, scheme == "https" ? "443" : "80");
  return reached && *reached == std::string_view(*origin).substr(scheme_end + 3);
}

}  // namespace outloud::net
