// The domain façade: every client frame of an authenticated or not-yet-authenticated connection is
// routed here, and every bus event is delivered from here to the local connections of its room.
// Domain state lives on strands, so it needs no locks: each connection belongs to one of
// HubOptions::strands, chosen when it opens, and each strand is a node of its own (its rooms'
// members among its connections, its own subscriptions on the bus, through BusLanes), so a room
// with members on several strands fans out on several cores. Backends are called asynchronously
// and their answers are posted back to the strand that asked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "server/accounts/accounts.hpp"
#include "server/backend/bus.hpp"
#include "server/backend/presence.hpp"
#include "server/backend/store.hpp"
#include "server/core/connection.hpp"
#include "server/core/metrics.hpp"
#include "server/limits/limits.hpp"

namespace outloud::core {

// The hub's settings; its limits (limits::Hub, with their defaults) are members through the base.
struct HubOptions : limits::Hub {
  std::string node_id = "node-1";
  // Strands the connections are spread over (round robin by connection id): --threads by default.
  unsigned strands = 1;
  // access.md: the labels a room may carry (the first is the default).
  std::vector<std::string> labels = {"OFFICIAL", "OFFICIAL-SENSITIVE"};
};

struct Backends {
  backend::Store& store;
  backend::Bus& bus;
  backend::PresenceRegistry& presence;
  // Set: accounts mode (access.md): hello by session token, private rooms, guests, members, audit.
  accounts::Accounts* accounts = nullptr;
};

// Turns the credentials of a `hello` into a user, or an error. The open-mode one derives a stable id
// from name and org; a JWT one verifies the token.
using Authenticator = std::function<backend::Result<protocol::User>(const protocol::Hello&)>;
Authenticator open_authenticator();
// Verifies tokens signed with `algorithm` (HS256/384/512: `key` is the secret; RS*/ES*: a PEM public
// key) and takes the user from the claims sub, name and org. Error if the algorithm or key is unusable.
backend::Result<Authenticator> jwt_authenticator(std::string key, const std::string& algorithm);

class BusLanes;

class Hub : public backend::BusHandler {
 public:
  static std::shared_ptr<Hub> create(boost::asio::any_io_executor executor, Backends backends, HubOptions options,
                                     Authenticator authenticate, Metrics& metrics);
  ~Hub() override;

  // All of these are thread-safe; they post to the connection's strand.
  void open(std::shared_ptr<Connection> connection);
  void handle(std::uint64_t connection_id, protocol::ClientFrame frame);
  void closed(std::uint64_t connection_id);

  // The room's session record (facilitation.md "The record") as Markdown or printable HTML, times in
  // the request's zone; not_found if no such room, bad_request for an unknown zone.
  void export_record(protocol::Export request, backend::Callback<std::string> done);
  // accounts mode: the record for `who` (GET /api/rooms/<room>/export.md): the owner, a facilitator
  // or an administrator; `not_found` if the room is missing or hidden from them, else `forbidden`.
  // Audited.
  void export_record_as(accounts::Identity who, protocol::Export request, backend::Callback<std::string> done);

  // False until this node is subscribed to its own channels (notices, sign-outs) on the bus: what
  // other nodes publish there before is lost to it. /healthz says "redis":"up" only once true.
  bool hears_other_nodes() const;

  // Refuses new writes, waits for those in flight to be acknowledged, then calls `done`.
  void drain(std::function<void()> done);

  // BusHandler
  void on_bus_event(backend::BusEvent event) override;
  void on_bus_reconnected() override;

  class Impl;

 private:
  Hub() = default;
  Impl& strand_of(std::uint64_t connection_id) const { return *strands_[connection_id % strands_.size()]; }
  // Deliveries reach each strand through its lane; declared first, so it goes last.
  std::unique_ptr<BusLanes> lanes_;
  std::vector<std::unique_ptr<backend::BusHandler>> lane_handlers_;
  std::vector<std::shared_ptr<Impl>> strands_;  // each shared with its callbacks in flight
};

}  // namespace outloud::core
