#include "server/redis/redis_backends.hpp"

#include <stdexcept>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>

#include "server/core/log.hpp"
#include "server/redis/redis_accounts.hpp"
#include "server/redis/redis_bus.hpp"
#include "server/redis/redis_store.hpp"
#include "server/redis/sentinels.hpp"

namespace outloud::redis {

namespace {
RedisTarget target_or_throw(const std::string& url) {
  auto parsed = parse_redis_target(url);
  if (auto* message = std::get_if<std::string>(&parsed)) throw std::invalid_argument(*message);
  return std::get<RedisTarget>(parsed);
}
}  // namespace

RedisBackends::RedisBackends(boost::asio::io_context& io, RedisOptions options)
    : options_(std::move(options)), strand_(boost::asio::make_strand(io)) {
  RedisTarget target = target_or_throw(options_.url);
  const Endpoint& endpoint = target.endpoint;
  const Keys keys(options_.key_prefix, endpoint.db);
  commands_ = Connection::create(strand_, endpoint, options_.connection, options_.node_id + "/commands",
                                 Connection::Role::command);
  subscriber_ = Connection::create(strand_, endpoint, options_.connection, options_.node_id + "/subscriber",
                                   Connection::Role::subscriber);
  if (target.uses_sentinel()) {
    sentinels_ = std::make_shared<Sentinels>(strand_, std::move(target.sentinels), std::move(target.master_name),
                                             endpoint, options_.connection, options_.node_id);
    auto source = [weak = std::weak_ptr<Sentinels>(sentinels_)](std::function<void(std::optional<Endpoint>)> done) {
      if (auto sentinels = weak.lock()) return sentinels->resolve_master(std::move(done));
      done(std::nullopt);
    };
    commands_->set_endpoint_source(source);
    subscriber_->set_endpoint_source(source);
    sentinels_->set_switch_handler([commands = commands_, subscriber = subscriber_](const std::string& host, int port) {
      commands->reconnect_to(host, port, "sentinel failover");
      subscriber->reconnect_to(host, port, "sentinel failover");
    });
  }
  scripts_ = std::make_shared<ScriptSet>();
  store_ = std::make_unique<RedisStore>(commands_, scripts_, keys, options_.stream_maxlen,
                                        WaitReplicas{options_.wait_replicas, options_.wait_timeout});
  bus_ = std::make_unique<RedisBus>(commands_, subscriber_, keys);
  options_.presence.reconnect_spread = options_.connection.backoff_max;
  presence_ = std::make_shared<RedisPresence>(commands_, scripts_, keys, options_.presence);
  accounts_ = std::make_unique<RedisAccounts>(commands_, options_.key_prefix,
                                              WaitReplicas{options_.wait_replicas, options_.wait_timeout},
                                              options_.session_idle_ms);

  subscriber_->set_push_handler([bus = bus_.get()](const Reply& reply) { bus->on_push(reply); });
  subscriber_->set_state_handler([bus = bus_.get()](bool up) { bus->on_subscriber_state(up); });
  commands_->set_state_handler([this](bool up) {
    bus_->on_commands_state(up);
    presence_->on_commands_state(up);
    if (up && options_.fsync_always) {
      commands_->command({"CONFIG", "SET", "appendonly", "yes", "appendfsync", "always"},
                         [](backend::Result<Reply> reply) {
                           if (!reply.ok() || reply.value().is_error()) {
                             log::error("redis: cannot set appendfsync always: %s",
                                        reply.ok() ? reply.value().str.c_str() : reply.error().message.c_str());
                           }
                         });
    }
    if (up && !checked_persistence_) {
      checked_persistence_ = true;
      // Acknowledged messages survive a Redis restart only with its AOF on; say so if it is off.
      commands_->command({"CONFIG", "GET", "appendonly"}, [](backend::Result<Reply> reply) {
        if (!reply.ok() || reply.value().elements.size() != 2) return;  // CONFIG may be disabled
        if (reply.value().elements[1].str != "yes") {
          log::warn("redis: appendonly is off; acknowledged messages may be lost if Redis restarts");
        }
      });
    }
  });
}

RedisBackends::~RedisBackends() {
  // Inline: either stop() already ran on the strand (then this is a no-op) or the io_context no
  // longer runs. Connections first, so their failing callbacks still find store, bus and scripts.
  presence_->stop();
  if (sentinels_) sentinels_->stop_now();
  subscriber_->stop_now();
  commands_->stop_now();
}

backend::Store& RedisBackends::store() { return *store_; }
backend::Bus& RedisBackends::bus() { return *bus_; }
backend::PresenceRegistry& RedisBackends::presence() { return *presence_; }
accounts::AccountStore& RedisBackends::accounts() { return *accounts_; }
std::string_view RedisBackends::health() const { return bus_->health(); }

void RedisBackends::start() {
  if (sentinels_) boost::asio::dispatch(strand_, [sentinels = sentinels_] { sentinels->start(); });
  commands_->start();
  subscriber_->start();
  presence_->start();
}

void RedisBackends::stop() {
  boost::asio::dispatch(strand_, [presence = presence_, sentinels = sentinels_, subscriber = subscriber_,
                                  commands = commands_] {
    presence->stop();
    if (sentinels) sentinels->stop_now();
    subscriber->stop_now();
    commands->stop_now();
  });
}

std::unique_ptr<RedisBackends> make_redis_backends(boost::asio::io_context& io, RedisOptions options) {
  auto backends = std::make_unique<RedisBackends>(io, std::move(options));
  backends->start();
  return backends;
}

std::unique_ptr<RedisBackends> make_redis_backends(boost::asio::io_context& io, const std::string& url,
                                                   const std::string& node_id) {
  RedisOptions options;
  options.url = url;
  options.node_id = node_id;
  return make_redis_backends(io, std::move(options));
}

}  // namespace outloud::redis
