// The session cookie `outloud_session` (access.md "Sessions"): reading it from a Cookie header and
// writing the Set-Cookie that sets or clears it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outloud::net {

inline constexpr std::string_view kSessionCookie = "outloud_session";

// The value of cookie `name` in a Cookie header ("a=1; outloud_session=xyz"), or nullopt. The first
// occurrence wins, as browsers send the most specific path first.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

struct CookieSettings {
  bool secure = false;                  // --public-url is https
  std::chrono::seconds max_age{0};      // 0: a browser-session cookie
};

// Set-Cookie value for the session: HttpOnly, SameSite=Lax, Path=/, Secure when asked.
std::string session_cookie(std::string_view token, const CookieSettings& settings);
// Set-Cookie value that removes it (Max-Age=0, same attributes).
std::string cleared_session_cookie(const CookieSettings& settings);

// The session token of an HTTP request: "Authorization: Bearer <token>" first, else the cookie.
std::optional<std::string> request_token(std::string_view authorization, std::string_view cookie_header);

}  // namespace outloud::net
