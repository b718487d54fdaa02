#include "server/redis/redis_url.hpp"

#include <charconv>

namespace outloud::redis {

namespace {
bool parse_int(std::string_view text, int min, int max, int& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= min && out <= max;
}
}  // namespace

std::variant<Endpoint, std::string> parse_redis_url(std::string_view url) {
  const std::string_view scheme = "redis://";
  auto fail = [&](std::string_view why) {
    return std::string("invalid --redis URL '") + std::string(url) + "': " + std::string(why) +
           " (expected redis://HOST:PORT[/DB])";
  };
  if (url.substr(0, scheme.size()) != scheme) return fail("it must start with redis://");
  std::string_view rest = url.substr(scheme.size());
  if (rest.find('@') != std::string_view::npos) return fail("credentials are not supported");
  Endpoint endpoint;
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
