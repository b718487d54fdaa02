#include "server/redis/redis_url.hpp"

#include <charconv>
#include <optional>

namespace outloud::redis {

namespace {

constexpr std::string_view kScheme = "redis://";
constexpr std::string_view kSentinelScheme = "redis-sentinel://";
constexpr std::string_view kExpected =
    "expected redis://[[USER]:PASSWORD@]HOST:PORT[/DB] or "
    "redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER_NAME[/DB]";
constexpr std::size_t kMaxSentinels = 16;

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

std::string_view scheme_of(std::string_view url) {
  if (url.substr(0, kScheme.size()) == kScheme) return kScheme;
  if (url.substr(0, kSentinelScheme.size()) == kSentinelScheme) return kSentinelScheme;
  return {};
}

// HOST[:PORT] or [IPv6][:PORT]; the port stays as given when absent. Empty on success, else why.
std::string_view parse_host_port(std::string_view authority, std::string& host, int& port) {
  std::string_view name = authority;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated [IPv6] address";
    name = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || !parse_int(after.substr(1), 1, 65535, port))) return "bad port";
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    name = authority.substr(0, colon);
    if (!parse_int(authority.substr(colon + 1), 1, 65535, port)) return "the port must be 1 to 65535";
  }
  if (name.empty()) return "the host is missing";
  host = std::string(name);
  return {};
}

}  // namespace

std::string redacted_redis_url(std::string_view url) {
  const std::string_view scheme = scheme_of(url);
  if (scheme.empty()) return std::string(url);
  std::string_view rest = url.substr(scheme.size());
  const std::size_t at = credentials_end(rest);
  if (at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = rest.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  std::string user(userinfo.substr(0, colon == std::string_view::npos ? userinfo.size() : colon));
  return std::string(scheme) + user + ":***" + std::string(rest.substr(at));
}

std::variant<RedisTarget, std::string> parse_redis_target(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return std::string("invalid --redis URL '") + redacted_redis_url(url) + "': " + std::string(why) + " (" +
           std::string(kExpected) + ")";
  };
  const std::string_view scheme = scheme_of(url);
  if (scheme.empty()) return fail("it must start with redis:// or redis-sentinel://");
  const bool sentinel = scheme == kSentinelScheme;
  std::string_view rest = url.substr(scheme.size());
  RedisTarget target;
  Endpoint& endpoint = target.endpoint;
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
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  std::string_view db = path;
  if (sentinel) {
    const auto slash = path.find('/');
    target.master_name = std::string(path.substr(0, slash));
    db = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (target.master_name.empty()) return fail("the master name is missing");
  }
  if (!db.empty() && !parse_int(db, 0, 65535, endpoint.db)) return fail("the database must be a number");
  if (!sentinel) {
    if (auto why = parse_host_port(authority, endpoint.host, endpoint.port); !why.empty()) return fail(why);
    return target;
  }
  while (true) {
    const auto comma = authority.find(',');
    SentinelAddress address;
    if (auto why = parse_host_port(authority.substr(0, comma), address.host, address.port); !why.empty()) {
      return fail(std::string("sentinel ") + std::to_string(target.sentinels.size() + 1) + ": " + std::string(why));
    }
    if (target.sentinels.size() == kMaxSentinels) return fail("more than 16 sentinels");
    target.sentinels.push_back(std::move(address));
    if (comma == std::string_view::npos) break;
    authority = authority.substr(comma + 1);
  }
  endpoint.host.clear();  // known once a sentinel names the master
  endpoint.port = 0;
  return target;
}

std::variant<Endpoint, std::string> parse_redis_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) {
    return std::string("invalid --redis URL '") + redacted_redis_url(url) +
           "': it must start with redis:// (expected redis://[[USER]:PASSWORD@]HOST:PORT[/DB])";
  }
  auto parsed = parse_redis_target(url);
  if (auto* why = std::get_if<std::string>(&parsed)) return std::move(*why);
  return std::get<RedisTarget>(parsed).endpoint;
}

}  // namespace outloud::redis
