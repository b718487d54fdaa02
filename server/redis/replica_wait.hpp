// WAIT after a write (--redis-wait-replicas): a write is acknowledged only once `count` replicas
// have it, so that a Sentinel failover to one of them keeps it. WAIT covers every write sent
// before it on the same connection, so it follows the write on the command connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "server/backend/result.hpp"
#include "server/redis/connection.hpp"

namespace outloud::redis {

struct WaitReplicas {
  int count = 0;                          // 0: no WAIT; acknowledged once the master has it
  std::chrono::milliseconds timeout{1000};  // WAIT's timeout; fewer replicas by then: `unavailable`
};

class ReplicaWait {
 public:
  ReplicaWait(std::shared_ptr<Connection> connection, WaitReplicas wait)
      : connection_(std::move(connection)), wait_(wait) {}

  bool enabled() const { return wait_.count > 0; }

  // then() once enough replicas confirmed every write so far on the connection; then(unavailable)
  // if fewer did in time (the write may stand on the master, but a failover could take it back)
  // or the WAIT failed. Without WAIT mode, then() at once. `what` names the write in the log.
  void confirm(const char* what, std::function<void(std::optional<backend::Error>)> then) const;

  // A write's reply, handed to `done` once confirmed; a failed write, or a Redis error reply, at
  // once (there is nothing to confirm); an unconfirmed one as `unavailable`.
  void confirm_reply(const char* what, backend::Result<Reply> reply, ReplyCallback done) const;

 private:
  std::shared_ptr<Connection> connection_;
  WaitReplicas wait_;
};

}  // namespace outloud::redis
