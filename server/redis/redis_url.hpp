// Where the Redis server is and how to sign in: redis://[[USER]:PASSWORD@]HOST:PORT[/DB].
// USER and PASSWORD may be percent-encoded (a ':' in the user name, a '%' anywhere must be).
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace outloud::redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // empty: the default user (AUTH PASSWORD)
  std::string password;  // empty: no AUTH
};

// The endpoint, or a message saying what is wrong with the URL (the password never in it).
std::variant<Endpoint, std::string> parse_redis_url(std::string_view url);

// The URL with its password replaced by "***", for logs and messages.
std::string redacted_redis_url(std::string_view url);

}  // namespace outloud::redis
