#include "server/redis/redis_url.hpp"

#include <charconv>
#include <optional>

namespace outloud::redis {

namespace {

constexpr std::string_view kScheme = "redis://";

bool parse_int(std::string_view text, int min, int max, int& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= min && out <= max;
}

std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned byte = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16);
    if (error != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

// Where the credentials end: the last '@' (an unencoded '@' or '/' in a password still parses).
std::size_t credentials_end(std::string_view rest) { return rest.rfind('@'); }

}  // namespace

std::string redacted_redis_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) return std::string(url);
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t at = credentials_end(rest);
  if (at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = rest.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  std::string user(userinfo.substr(0, colon == std::string_view::npos ? userinfo.size() : colon));
  return std::string(kScheme) + user + ":***" + std::string(rest.substr(at));
}

std::variant<Endpoint, std::string> parse_redis_url(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return std::string("invalid --redis URL '") + redacted_redis_url(url) + "': " + std::string(why) +
           " (expected redis://[[USER]:PASSWORD@]HOST:PORT[/DB])";
  };
  if (url.substr(0, kScheme.size()) != kScheme) return fail("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  Endpoint endpoint;
  if (const std::size_t at = credentials_end(rest); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) return fail("the password is missing (USER:PASSWORD@ or :PASSWORD@)");
    auto username = percent_decoded(userinfo.substr(0, colon));
    auto password = percent_decoded(userinfo.substr(colon + 1));
    if (!username || !password) return fail("bad %-escape in the credentials");
    if (password->empty()) return fail("the password is empty");
    endpoint.username = std::move(*username);
    endpoint.password = std::move(*password);
  }
  std::string_view authority = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, 0, 65535, endpoint.db)) return fail("the database must be a number");
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:PORT
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated [IPv6] address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || !parse_int(after.substr(1), 1, 65535, endpoint.port)) return fail("bad port");
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    if (!parse_int(authority.substr(colon + 1), 1, 65535, endpoint.port)) return fail("the port must be 1 to 65535");
  }
  if (host.empty()) return fail("the host is missing");
  endpoint.host = std::string(host);
  return endpoint;
}

}  // namespace outloud::redis
