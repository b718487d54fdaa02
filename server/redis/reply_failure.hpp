// The failure in a Redis answer: the connection's error (`unavailable`), or a Redis error reply,
// logged and reported as `internal` with `what` (no Redis text reaches a client).
#pragma once

#include <optional>

#include "server/backend/result.hpp"
#include "server/core/log.hpp"
#include "server/redis/reply.hpp"

namespace outloud::redis {

inline std::optional<backend::Error> reply_failure(const backend::Result<Reply>& reply, const char* what) {
  if (!reply.ok()) return reply.error();
  if (reply.value().is_error()) {
    log::error("redis: %s: %s", what, reply.value().str.c_str());
    return backend::internal_error(what);
  }
  return std::nullopt;
}

}  // namespace outloud::redis
