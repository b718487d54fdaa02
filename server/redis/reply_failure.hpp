// The failure in a Redis answer: the connection's error (`unavailable`), or a Redis error reply,
// logged and reported as `internal` with `what` (no Redis text reaches a client) — except a master
// that cannot take writes now (NOREPLICAS, READONLY): `unavailable`.
#pragma once

#include <optional>

#include "server/backend/result.hpp"
#include "server/core/log.hpp"
#include "server/redis/reply.hpp"

namespace outloud::redis {

inline std::optional<backend::Error> reply_failure(const backend::Result<Reply>& reply, const char* what) {
  if (!reply.ok()) return reply.error();
  if (reply.value().is_error()) {
    // A master without replicas in reach (min-replicas-to-write) or one just demoted by a failover:
    // nothing was written, and a retry may well succeed.
    const std::string& text = reply.value().str;
    if (text.rfind("NOREPLICAS", 0) == 0 || text.rfind("READONLY", 0) == 0) {
      return backend::unavailable("redis cannot take writes now");
    }
    log::error("redis: %s: %s", what, text.c_str());
    return backend::internal_error(what);
  }
  return std::nullopt;
}

}  // namespace outloud::redis
