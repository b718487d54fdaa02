#include "server/redis/redis_bus.hpp"

#include <boost/asio/dispatch.hpp>

#include "server/core/log.hpp"
#include "server/redis/envelope.hpp"

namespace outloud::redis {

using backend::Callback;
using backend::Result;
using backend::Unit;

RedisBus::RedisBus(std::shared_ptr<Connection> commands, std::shared_ptr<Connection> subscriber, Keys keys)
    : commands_(std::move(commands)), subscriber_(std::move(subscriber)), keys_(std::move(keys)) {}

void RedisBus::set_handler(backend::BusHandler* handler) {
  std::lock_guard lock(handler_mutex_);
  handler_ = handler;
}

std::string_view RedisBus::health() const {
  return commands_->up() && subscriber_->up() && !restoring_.load(std::memory_order_acquire) ? "up" : "down";
}

void RedisBus::subscribe(std::string room, Callback<Unit> ready) {
  boost::asio::dispatch(subscriber_->strand(), [this, room = std::move(room), ready = std::move(ready)]() mutable {
    do_subscribe(room, std::move(ready));
  });
}

void RedisBus::unsubscribe(std::string room) {
  boost::asio::dispatch(subscriber_->strand(), [this, room = std::move(room)] { do_unsubscribe(room); });
}

void RedisBus::do_subscribe(const std::string& room, Callback<Unit> ready) {
  Channel& channel = channels_[room];
  channel.wanted = true;
  if (channel.phase == Phase::subscribed) {
    if (ready) ready(Unit{});
    return;
  }
  if (ready) channel.waiting.push_back(std::move(ready));
  // subscribing: the confirmation will answer; unsubscribing: settle() subscribes again after it.
  if (channel.phase == Phase::idle) send(room, channel, true);
}

void RedisBus::do_unsubscribe(const std::string& room) {
  auto it = channels_.find(room);
  if (it == channels_.end()) return;
  Channel& channel = it->second;
  channel.wanted = false;
  fail_waiting(channel, "unsubscribed");
  // subscribing: settle() unsubscribes once the subscription is confirmed.
  if (channel.phase == Phase::subscribed) send(room, channel, false);
  if (channel.phase == Phase::idle) channels_.erase(it);
}

void RedisBus::send(const std::string& room, Channel& channel, bool subscribe) {
  if (subscriber_->send_subscription(subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", keys_.channel(room))) {
    channel.phase = subscribe ? Phase::subscribing : Phase::unsubscribing;
    return;
  }
  channel.phase = Phase::idle;
  if (subscribe) {
    fail_waiting(channel, "redis is unreachable");
    // A room confirmed before is subscribed again when the connection returns; one that never was
    // is the caller's to retry.
    if (!channel.confirmed) channel.wanted = false;
  }
}

void RedisBus::fail_waiting(Channel& channel, const char* why) {
  auto waiting = std::move(channel.waiting);
  channel.waiting.clear();
  for (auto& ready : waiting) ready(backend::unavailable(why));
}

// Brings a channel whose confirmation just arrived in line with what is wanted.
void RedisBus::settle(const std::string& room) {
  auto it = channels_.find(room);
  if (it == channels_.end()) return;
  Channel& channel = it->second;
  if (channel.phase == Phase::subscribed && !channel.wanted) {
    send(room, channel, false);
  } else if (channel.phase == Phase::idle && channel.wanted) {
    send(room, channel, true);
  }
  if (channel.phase == Phase::idle && !channel.wanted) channels_.erase(it);
}

std::string RedisBus::room_of(const std::string& channel) const {
  const std::string prefix = keys_.channel_prefix();
  return channel.compare(0, prefix.size(), prefix) == 0 ? channel.substr(prefix.size()) : std::string();
}

void RedisBus::on_push(const Reply& reply) {
  if (reply.type != Reply::Type::array || reply.elements.size() < 3) return;
  const std::string& kind = reply.elements[0].str;
  const std::string room = room_of(reply.elements[1].str);
  if (room.empty()) return;
  auto it = channels_.find(room);

  if (kind == "message") {
    if (it == channels_.end() || !it->second.wanted || it->second.phase != Phase::subscribed) return;
    auto event = decode_envelope(reply.elements[2].str);
    if (!event) {
      log::warn("redis bus: unreadable envelope on room %s dropped", room.c_str());
      return;
    }
    event->room = room;
    std::lock_guard lock(handler_mutex_);
    if (handler_ != nullptr) handler_->on_bus_event(std::move(*event));
    return;
  }
  if (it == channels_.end()) return;
  if (kind == "subscribe") {
    it->second.phase = Phase::subscribed;
    it->second.confirmed = true;
    if (it->second.wanted) {
      auto waiting = std::move(it->second.waiting);
      it->second.waiting.clear();
      for (auto& ready : waiting) ready(Unit{});
    }
    if (resubscribing_.erase(room) != 0) maybe_announce_reconnect();
    settle(room);
  } else if (kind == "unsubscribe") {
    it->second.phase = Phase::idle;
    settle(room);
  }
}

void RedisBus::on_subscriber_state(bool up) {
  if (!up) {
    had_outage_ = true;
    restoring_.store(true, std::memory_order_release);
    resubscribing_.clear();
    announce_pending_ = false;
    for (auto it = channels_.begin(); it != channels_.end();) {
      Channel& channel = it->second;
      // A subscription not yet confirmed fails; a confirmed one is restored on reconnect.
      fail_waiting(channel, "redis connection lost");
      if (!channel.confirmed) channel.wanted = false;
      channel.phase = Phase::idle;
      it = channel.wanted ? std::next(it) : channels_.erase(it);
    }
    return;
  }
  if (!had_outage_) return;
  for (auto& [room, channel] : channels_) {
    if (!channel.wanted || channel.phase != Phase::idle) continue;
    send(room, channel, true);
    if (channel.phase == Phase::subscribing) resubscribing_.insert(room);
  }
  announce_pending_ = true;
  maybe_announce_reconnect();
}

void RedisBus::on_commands_state(bool up) {
  if (up) maybe_announce_reconnect();
}

// Events may have been missed while the subscriber was away: the hub refills from the store, which
// needs the command connection, once every room is subscribed again.
void RedisBus::maybe_announce_reconnect() {
  if (!announce_pending_ || !resubscribing_.empty() || !subscriber_->up() || !commands_->up()) return;
  announce_pending_ = false;
  restoring_.store(false, std::memory_order_release);
  log::info("redis bus: subscriptions restored");
  std::lock_guard lock(handler_mutex_);
  if (handler_ != nullptr) handler_->on_bus_reconnected();
}

void RedisBus::publish(backend::BusEvent event, Callback<Unit> done) {
  std::vector<std::string> argv{"PUBLISH", keys_.channel(event.room), encode_envelope(event)};
  commands_->command(std::move(argv), [done = std::move(done)](Result<Reply> reply) {
    if (!done) return;
    if (!reply.ok()) return done(reply.error());
    if (reply.value().is_error()) return done(backend::internal_error(reply.value().str));
    done(Unit{});
  });
}

}  // namespace outloud::redis
