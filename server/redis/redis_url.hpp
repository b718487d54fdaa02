// Where the Redis server is: redis://HOST:PORT[/DB].
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace outloud::redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
};

// The endpoint, or a message saying what is wrong with the URL.
std::variant<Endpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace outloud::redis
