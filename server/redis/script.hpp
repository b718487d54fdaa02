// A Lua script run with EVALSHA, falling back to EVAL when the server does not know it (NOSCRIPT:
// first use, or Redis restarted without it). Scripts make each multi-key step atomic.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/redis/connection.hpp"

namespace outloud::redis {

class Script {
 public:
  explicit Script(std::string body) : body_(std::move(body)) {}

  // Thread-safe. The callback runs on the connection's strand.
  void run(const std::shared_ptr<Connection>& connection, std::vector<std::string> keys,
           std::vector<std::string> args, ReplyCallback done);

 private:
  std::string sha() const;
  void learn_sha(const std::shared_ptr<Connection>& connection);

  std::string body_;
  mutable std::mutex mutex_;
  std::string sha_;      // empty until SCRIPT LOAD answered
  bool loading_ = false;
};

}  // namespace outloud::redis
