// The Redis backends under contract test: one node on the shared test redis-server (started on a
// free loopback port by the first test that needs it), under a key prefix of its own, so sets are
// as isolated as the embedded ones.
#include <atomic>
#include <memory>
#include <string>
#include <unistd.h>

#include "backend_fixture.hpp"
#include "redis_node.hpp"
#include "redis_server.hpp"

namespace outloud::testing {

namespace backend_fixture_redis_test {

class RedisBackendSet final : public BackendSet {
 public:
  explicit RedisBackendSet(const std::string& name)
      : node_(shared_redis_server().url(), "test-node", unique_prefix(name)) {}
  backend::Store& store() override { return node_.store(); }
  backend::Bus& bus() override { return node_.bus(); }
  backend::PresenceRegistry& presence() override { return node_.presence(); }
  accounts::AccountStore& accounts() override { return node_.backends().accounts(); }

 private:
  static std::string unique_prefix(const std::string& name) {
    static std::atomic<int> counter{0};
    return "test:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":" + name + ":";
  }
  RedisNode node_;
};

const bool registered = register_backend_kind(
    "redis", [](const std::string& name) -> std::unique_ptr<BackendSet> {
      return std::make_unique<RedisBackendSet>(name);
    });

}  // namespace backend_fixture_redis_test

}  // namespace outloud::testing
