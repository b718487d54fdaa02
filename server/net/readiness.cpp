#include "server/net/readiness.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace outloud::net {

std::string_view redis_state(const ServerContext& context) {
  // Connected is not enough: until the node's own channels are subscribed it misses notices.
  std::string_view redis = context.bus.health();
  if (redis == "up" && !context.hub->hears_other_nodes()) redis = "down";
  return redis;
}

Readiness readiness(const ServerContext& context) {
  if (redis_state(context) == "down") {
    return {false, "redis is down: not connected, or not yet subscribed to this node's channels"};
  }
  return {};
}

std::string readiness_json(const Readiness& readiness) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("ready");
  writer.Bool(readiness.ready);
  if (!readiness.ready) {
    writer.Key("reason");
    writer.String(readiness.reason.c_str(), static_cast<rapidjson::SizeType>(readiness.reason.size()));
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string redis_up_metric(std::string_view redis) {
  if (redis == "off") return {};
  return std::string("# HELP outloud_redis_up Whether this node reaches Redis and hears the other nodes (as /readyz).\n"
                     "# TYPE outloud_redis_up gauge\n"
                     "outloud_redis_up ") +
         (redis == "up" ? "1" : "0") + "\n";
}

}  // namespace outloud::net
