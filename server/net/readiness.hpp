// Whether this node can serve now (/readyz), for a load balancer or an orchestrator to send it
// traffic or not; /healthz says only that the process lives. The embedded store is usable while the
// process runs (it exits 1 when it cannot open the file; a full disk refuses writes with
// `unavailable` but reads go on). With --redis the node needs both connections up and its own
// channels subscribed: before, it would miss what the other nodes publish.
#pragma once

#include <string>
#include <string_view>

#include "server/net/config.hpp"

namespace outloud::net {

// "up", "down" or "off" (no Redis), as /healthz says it.
std::string_view redis_state(const ServerContext& context);

struct Readiness {
  bool ready = true;
  std::string reason;  // why not, for the operator reading the 503
};

Readiness readiness(const ServerContext& context);
std::string readiness_json(const Readiness& readiness);

// The outloud_redis_up gauge (1 up, 0 down) for /metrics; nothing without Redis.
std::string redis_up_metric(std::string_view redis);

}  // namespace outloud::net
