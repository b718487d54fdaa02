// The failure in a Redis answer: the connection's error (`unavailable`), or a Redis error reply,
// logged and reported as `internal` with `what` (no Redis text reaches a client) — except a master
// that cannot take writes now (NOREPLICAS, READONLY, OOM): `unavailable`.
#pragma once

#include <optional>
#include <string>

#include "server/backend/result.hpp"
#include "server/core/log.hpp"
#include "server/redis/reply.hpp"

namespace outloud::redis {

// A master without replicas in reach (min-replicas-to-write), one just demoted by a failover, or
// one at `maxmemory` with `noeviction`: nothing was written, and a retry may well succeed. Redis 7
// starts the error with its code, also from inside a script; Redis 6 wraps a script's as "-CODE".
inline bool cannot_write_now(const std::string& error) {
  for (const char* code : {"NOREPLICAS", "READONLY", "OOM"}) {
    const std::string word = std::string(code) + " ";
    if (error.rfind(word, 0) == 0 || error.find("-" + word) != std::string::npos) return true;
  }
  return false;
}

inline std::optional<backend::Error> reply_failure(const backend::Result<Reply>& reply, const char* what) {
  if (!reply.ok()) return reply.error();
  if (reply.value().is_error()) {
    const std::string& text = reply.value().str;
    if (cannot_write_now(text)) {
      log::warn("redis: %s: %s", what, text.c_str());
      return backend::unavailable("redis cannot take writes now");
    }
    log::error("redis: %s: %s", what, text.c_str());
    return backend::internal_error(what);
  }
  return std::nullopt;
}

}  // namespace outloud::redis
