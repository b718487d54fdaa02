#include "server/net/cookie.hpp"
#include "server/net/header_values.hpp"

namespace outloud::net {
namespace {

std::string attributes(const CookieSettings& settings) {
  std::string out = "; Path=/; HttpOnly; SameSite=Lax";
  if (settings.secure) out += "; Secure";
  return out;
}

}  // namespace

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    const std::string_view pair = trim_ows(header.substr(0, semicolon));
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && trim_ows(pair.substr(0, equals)) == name) {
      std::string_view value = trim_ows(pair.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
    if (semicolon == std::string_view::npos) break;
    header.remove_prefix(semicolon + 1);
  }
  return std::nullopt;
}

std::string session_cookie(std::string_view token, const CookieSettings& settings) {
  std::string out = std::string(kSessionCookie) + "=" + std::string(token) + attributes(settings);
  if (settings.max_age.count() > 0) out += "; Max-Age=" + std::to_string(settings.max_age.count());
  return out;
}

std::string cleared_session_cookie(const CookieSettings& settings) {
  return std::string(kSessionCookie) + "=" + attributes(settings) + "; Max-Age=0";
}

std::optional<std::string> request_token(std::string_view authorization, std::string_view cookie_header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() && authorization.substr(0, kBearer.size()) == kBearer) {
    const auto token = trim_ows(authorization.substr(kBearer.size()));
    if (!token.empty()) return std::string(token);
  }
  if (auto value = find_cookie(cookie_header, kSessionCookie); value && !value->empty()) return std::string(*value);
  return std::nullopt;
}

}  // namespace outloud::net
