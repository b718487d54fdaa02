// Fan-out between the nodes that serve a room. The embedded bus delivers within the process;
// the Redis bus through pub/sub. Messages themselves are published by Store::append.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/backend/result.hpp"

namespace outloud::backend {

struct BusEvent {
  enum class Kind {
    message,   // payload: the `message` event JSON; seq: its seq
    event,     // payload: a frame for the room's connections (typing, facilitation)
    presence,  // payload: a `presence` event (members with batched presence get it coalesced)
    state,     // payload: the room's facilitation state JSON; version: its version
    control,  // payload: an instruction to every node's hub, not for clients (core/hub_access.cpp)
  };
  Kind kind = Kind::event;
  std::string room;
  std::int64_t seq = 0;      // message: its seq in the room
  std::int64_t version = 0;  // state: the facilitation state's version
  std::string exclude_user;             // event: skip the connections of this user id
  std::vector<std::string> only_users;  // event: when not empty, only these users' connections
  std::shared_ptr<const std::string> payload;
};

class BusHandler {
 public:
  virtual ~BusHandler() = default;
  // Called on any thread, for subscribed rooms only; per room, in publication order.
  virtual void on_bus_event(BusEvent event) = 0;
  // The bus lost and regained its connection: events may have been missed; refill from the store.
  virtual void on_bus_reconnected() = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  virtual void set_handler(BusHandler* handler) = 0;
  // `ready` is called once every event published from then on will reach the handler.
  virtual void subscribe(std::string room, Callback<Unit> ready) = 0;
  virtual void unsubscribe(std::string room) = 0;
  virtual void publish(BusEvent event, Callback<Unit> done) = 0;
  // "up", "down" (a remote bus that lost its connection) or "off" (embedded).
  virtual std::string_view health() const = 0;
};

}  // namespace outloud::backend
