#include "server/redis/replica_wait.hpp"

#include <string>

#include "server/core/log.hpp"

namespace outloud::redis {

void ReplicaWait::confirm(const char* what, std::function<void(std::optional<backend::Error>)> then) const {
  if (!enabled()) return then(std::nullopt);
  connection_->command(
      {"WAIT", std::to_string(wait_.count), std::to_string(wait_.timeout.count())},
      [what, count = wait_.count, then = std::move(then)](backend::Result<Reply> reply) {
        if (!reply.ok()) return then(reply.error());
        if (reply.value().is_error()) return then(backend::unavailable("redis refused WAIT: " + reply.value().str));
        if (reply.value().integer < count) {
          log::warn("redis: %s reached %lld of %d replicas in time; answered unavailable", what,
                    reply.value().integer, count);
          return then(backend::unavailable("not confirmed by enough redis replicas"));
        }
        then(std::nullopt);
      });
}

void ReplicaWait::confirm_reply(const char* what, backend::Result<Reply> reply, ReplyCallback done) const {
  if (!enabled() || !reply.ok() || reply.value().is_error()) return done(std::move(reply));
  confirm(what, [reply = std::move(reply), done = std::move(done)](std::optional<backend::Error> error) mutable {
    if (error) return done(std::move(*error));
    done(std::move(reply));
  });
}

}  // namespace outloud::redis
