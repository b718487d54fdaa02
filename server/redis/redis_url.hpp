// Where Redis is and how to sign in. Two forms:
//   redis://[[USER]:PASSWORD@]HOST:PORT[/DB]                                   one server
//   redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER[/DB]  ask these sentinels
//                                                                              (port 26379 by default)
//                                                                              for the master MASTER
// USER and PASSWORD may be percent-encoded (a ':' in the user name, a '%' anywhere must be). With
// Sentinel they sign in to the master; the sentinels are asked without AUTH.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace outloud::redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // empty: the default user (AUTH PASSWORD)
  std::string password;  // empty: no AUTH
};

struct SentinelAddress {
  std::string host;
  int port = 26379;
};

struct RedisTarget {
  // redis://: the server. redis-sentinel://: credentials and database for the master, whose host
  // and port come from the sentinels.
  Endpoint endpoint;
  std::vector<SentinelAddress> sentinels;  // empty: connect to `endpoint` directly
  std::string master_name;                 // Sentinel only: the name the sentinels monitor

  bool uses_sentinel() const { return !sentinels.empty(); }
};

// The target, or a message saying what is wrong with the URL (the password never in it).
std::variant<RedisTarget, std::string> parse_redis_target(std::string_view url);

// redis:// only: the endpoint, or what is wrong.
std::variant<Endpoint, std::string> parse_redis_url(std::string_view url);

// The URL with its password replaced by "***", for logs and messages.
std::string redacted_redis_url(std::string_view url);

}  // namespace outloud::redis
