// Bus on Redis pub/sub. Each room is one channel; the node subscribes to it only while the hub asks
// (it has members there). Messages are published by the store's append script; publish() carries
// the other events. Every envelope is decoded once into shared bytes for all local connections.
//
// After the subscriber connection comes back, every subscribed room is subscribed again and then
// the handler's on_bus_reconnected() runs (once the command connection is up too, so the hub's
// refill from the store can succeed).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/backend/bus.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/keys.hpp"

namespace outloud::redis {

class RedisBus final : public backend::Bus {
 public:
  RedisBus(std::shared_ptr<Connection> commands, std::shared_ptr<Connection> subscriber, Keys keys);

  // After set_handler returns, no delivery to the previous handler is still running (unless it is
  // called from inside that handler).
  void set_handler(backend::BusHandler* handler) override;
  // Subscriptions are a set, as in the embedded bus. `ready` fails with `unavailable` while the
  // subscriber connection is down.
  void subscribe(std::string room, backend::Callback<backend::Unit> ready) override;
  void unsubscribe(std::string room) override;
  void publish(backend::BusEvent event, backend::Callback<backend::Unit> done) override;
  // "up" once both connections answer and, after an outage, every subscription is restored.
  std::string_view health() const override;

  // Connection state changes, on the strand (wired by RedisBackends).
  void on_subscriber_state(bool up);
  void on_commands_state(bool up);
  // Everything Redis pushes on the subscriber connection, on the strand.
  void on_push(const Reply& reply);

 private:
  enum class Phase { idle, subscribing, subscribed, unsubscribing };
  struct Channel {
    bool wanted = false;
    Phase phase = Phase::idle;
    bool confirmed = false;  // subscribed at least once: restored after a reconnect
    std::vector<backend::Callback<backend::Unit>> waiting;  // ready callbacks until confirmed
  };

  void do_subscribe(const std::string& room, backend::Callback<backend::Unit> ready);
  void do_unsubscribe(const std::string& room);
  void send(const std::string& room, Channel& channel, bool subscribe);
  void fail_waiting(Channel& channel, const char* why);
  void settle(const std::string& room);
  void maybe_announce_reconnect();
  std::string room_of(const std::string& channel) const;

  std::shared_ptr<Connection> commands_;
  std::shared_ptr<Connection> subscriber_;
  Keys keys_;
  // Held across each delivery; recursive so a handler may call back into the bus.
  std::recursive_mutex handler_mutex_;
  backend::BusHandler* handler_ = nullptr;

  // Strand only.
  std::unordered_map<std::string, Channel> channels_;
  bool had_outage_ = false;                      // the subscriber went down after being up
  std::unordered_set<std::string> resubscribing_;  // rooms awaiting confirmation after a reconnect
  bool announce_pending_ = false;
  // From the subscriber's loss until every subscription is restored: health() says "down", as
  // what is published meanwhile does not reach this node. Read from any thread.
  std::atomic<bool> restoring_{false};
};

}  // namespace outloud::redis
