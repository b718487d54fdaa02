// The domain façade: every client frame of an authenticated or not-yet-authenticated connection is
// routed here, and every bus event is delivered from here to the local connections of its room.
// All domain state lives on one strand, so it needs no locks; backends are called asynchronously
// and their answers are posted back to the strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "server/accounts/accounts.hpp"
#include "server/backend/bus.hpp"
#include "server/backend/presence.hpp"
#include "server/backend/store.hpp"
#include "server/core/connection.hpp"
#include "server/core/metrics.hpp"

namespace outloud::core {

struct HubOptions {
  std::string node_id = "node-1";
  std::size_t max_rooms_per_connection = 100;
  int history_default_limit = 50;
  int history_max_limit = 200;
  int recovery_max_messages = 1000;  // join with `since` recovers at most this many
  // access.md: the labels a room may carry (the first is the default) and how often rooms'
  // retention is applied (at most retention_batch messages per room each time).
  std::vector<std::string> labels = {"OFFICIAL", "OFFICIAL-SENSITIVE"};
  std::chrono::milliseconds retention_sweep_interval{60 * 60 * 1000};
  int retention_batch = 5000;
  int rooms_page_default = 100;      // `rooms` without a limit gets this many
  int rooms_page_max = protocol::kMaxRoomsPage;
  // Room creation: per user a bucket of this many per minute (0: unlimited), and this many rooms
  // in all (0: unlimited). Breakout groups, made by their session, are not counted against either.
  double create_rate_per_minute = 30;
  std::int64_t max_rooms = 10'000;
  // Frames of one connection being carried out or waiting their turn; beyond: rate_limited.
  int max_requests_in_flight = 32;
  // Message bytes in one history or joined reply: fewer messages than asked when they are large.
  std::size_t max_reply_bytes = 1 << 20;
  // Threads for work kept off the hub's strand (records, large pages, token checks), and how many
  // records may be built at once (each holds its room's messages).
  int worker_threads = 2;
  int max_exports_at_once = 1;
  int max_history_reads_at_once = 4;
  int search_scan = 1000;  // stores without a search index read at most this many messages per search
  // Presence of large rooms (protocol/README.md "Large rooms"), for members that join with
  // `presence_limit`: their presence changes are coalesced into one `presence_batch` per room at
  // most every presence_flush_interval, except in rooms with fewer than presence_immediate_below
  // members on this node, where each change goes out at once (small groups feel live).
  std::chrono::milliseconds presence_flush_interval{250};
  std::size_t presence_immediate_below = 20;
  int presence_page_default = 100;  // `presence_page` without a limit
  // A failed read of messages missed on the bus is retried after this, doubling up to the maximum.
  std::chrono::milliseconds gap_retry_initial{200};
  std::chrono::milliseconds gap_retry_max{5000};
  // How long a breakout round's `minute` lasts: 60 s, shorter only in tests.
  std::int64_t breakout_minute_ms = 60'000;
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

class Hub : public backend::BusHandler {
 public:
  static std::shared_ptr<Hub> create(boost::asio::any_io_executor executor, Backends backends, HubOptions options,
                                     Authenticator authenticate, Metrics& metrics);
  ~Hub() override;

  // All of these are thread-safe; they post to the hub's strand.
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

  // Refuses new writes, waits for those in flight to be acknowledged, then calls `done`.
  void drain(std::function<void()> done);

  // BusHandler
  void on_bus_event(backend::BusEvent event) override;
  void on_bus_reconnected() override;

  class Impl;

 private:
  explicit Hub(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the callbacks in flight
};

}  // namespace outloud::core
