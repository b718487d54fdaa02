#include "server/core/hub.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>

#include "server/core/bus_lanes.hpp"
#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"
#include "server/core/reply_budget.hpp"

namespace outloud::core {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 32> buffer{};
  bytes = std::min(bytes, buffer.size());
  RAND_bytes(buffer.data(), static_cast<int>(bytes));
  std::string out;
  char hex[3];
  for (std::size_t i = 0; i < bytes; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", buffer[i]);
    out += hex;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hub: a thread-safe handle that posts onto the connection's strand.

namespace {

// A strand's ear on its bus lane: events are posted to the strand, in the order they come.
class StrandListener final : public backend::BusHandler {
 public:
  explicit StrandListener(std::weak_ptr<Hub::Impl> impl) : impl_(std::move(impl)) {}
  void on_bus_event(backend::BusEvent event) override {
    auto impl = impl_.lock();
    if (!impl) return;
    asio::post(impl->strand(), [impl, event = std::move(event)]() mutable { impl->on_bus_event(std::move(event)); });
  }
  void on_bus_reconnected() override {
    auto impl = impl_.lock();
    if (!impl) return;
    asio::post(impl->strand(), [impl] { impl->on_bus_reconnected(); });
  }

 private:
  std::weak_ptr<Hub::Impl> impl_;
};

}  // namespace

std::shared_ptr<Hub> Hub::create(asio::any_io_executor executor, Backends backends, HubOptions options,
                                 Authenticator authenticate, Metrics& metrics) {
  const std::size_t count = std::max(1U, options.strands);
  // Shared by every strand: they bound the work kept off the strands for the whole process.
  auto workers = std::make_shared<asio::thread_pool>(static_cast<std::size_t>(std::max(1, options.worker_threads)));
  auto token_checks = std::make_shared<asio::thread_pool>(1);
  auto node = std::make_shared<NodeWide>(options, metrics.rooms_active);
  std::shared_ptr<Hub> hub(new Hub());
  hub->lanes_ = std::make_unique<BusLanes>(backends.bus, count);
  for (std::size_t i = 0; i < count; ++i) {
    auto impl = std::make_shared<Impl>(executor, Backends{backends.store, hub->lanes_->lane(i), backends.presence, backends.accounts},
                                       options, authenticate, metrics, workers, token_checks, node);
    hub->lane_handlers_.push_back(std::make_unique<StrandListener>(impl));
    hub->lanes_->lane(i).set_handler(hub->lane_handlers_.back().get());
    hub->strands_.push_back(std::move(impl));
  }
  auto& first = hub->strands_.front();
  // Users whose node died vanish from presence by expiry; whoever notices announces their leave
  // (one strand: the announcement reaches the others through the bus).
  backends.presence.set_expiry_handler([weak = std::weak_ptr<Impl>(first)](std::string room, protocol::User user) {
    if (auto impl = weak.lock()) {
      asio::post(impl->strand(), [impl, room = std::move(room), user = std::move(user)] {
        impl->announce_expired(room, user);
      });
    }
  });
  if (backends.accounts) {
    // The node's own duties (sign-outs to announce, the retention sweep) belong to one strand.
    asio::post(first->strand(), [impl = first] { impl->start(); });
    for (auto& impl : hub->strands_) impl->subscribe_sign_outs();
  }
  for (auto& impl : hub->strands_) impl->subscribe_notices();
  return hub;
}

Hub::~Hub() {
  // Whatever the workers are doing finishes first: they use the backends, which go next.
  auto& impl = strands_.front();
  for (asio::thread_pool* pool : {impl->workers().get(), impl->token_checks().get()}) {
    if (!pool->get_executor().running_in_this_thread()) pool->join();
  }
  for (std::size_t i = 0; i < lanes_->size(); ++i) lanes_->lane(i).set_handler(nullptr);
}

void Hub::open(std::shared_ptr<Connection> connection) {
  auto& impl = strand_of(connection->id());
  asio::post(impl.strand(), [impl = impl.shared_from_this(), connection = std::move(connection)]() mutable {
    impl->open(std::move(connection));
  });
}

void Hub::handle(std::uint64_t connection_id, protocol::ClientFrame frame) {
  auto& impl = strand_of(connection_id);
  asio::post(impl.strand(), [impl = impl.shared_from_this(), connection_id, frame = std::move(frame)]() mutable {
    impl->handle(connection_id, std::move(frame));
  });
}

void Hub::closed(std::uint64_t connection_id) {
  auto& impl = strand_of(connection_id);
  asio::post(impl.strand(), [impl = impl.shared_from_this(), connection_id] { impl->closed(connection_id); });
}

// Records are built on the shared workers, in the node's record slots (NodeWide), whichever strand asks.
void Hub::export_record(p::Export request, backend::Callback<std::string> done) {
  auto& impl = strands_.front();
  asio::post(impl->strand(), [impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->export_markdown(std::move(request), std::move(done));
  });
}

void Hub::export_record_as(accounts::Identity who, p::Export request, backend::Callback<std::string> done) {
  auto& impl = strands_.front();
  asio::post(impl->strand(), [impl, who = std::move(who), request = std::move(request), done = std::move(done)]() mutable {
    impl->export_as(who, request, std::move(done));
  });
}

bool Hub::hears_other_nodes() const {
  return std::all_of(strands_.begin(), strands_.end(), [](const auto& impl) { return impl->hears_other_nodes(); });
}

void Hub::drain(std::function<void()> done) {
  // `done` once every strand has drained.
  auto remaining = std::make_shared<std::atomic<std::size_t>>(strands_.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& impl : strands_) {
    asio::post(impl->strand(), [impl, remaining, shared_done] {
      impl->drain([remaining, shared_done] {
        if (remaining->fetch_sub(1) == 1) (*shared_done)();
      });
    });
  }
}

void Hub::on_bus_event(backend::BusEvent event) { lanes_->on_bus_event(std::move(event)); }

void Hub::on_bus_reconnected() { lanes_->on_bus_reconnected(); }

// ---------------------------------------------------------------------------------------------
// Impl

Hub::Impl::Impl(asio::any_io_executor executor, Backends backends, HubOptions options, Authenticator authenticate,
                Metrics& metrics, std::shared_ptr<asio::thread_pool> workers,
                std::shared_ptr<asio::thread_pool> token_checks, std::shared_ptr<NodeWide> node)
    : strand_(asio::make_strand(std::move(executor))),
      workers_(std::move(workers)),
      token_checks_(std::move(token_checks)),
      node_(std::move(node)),
      backends_(backends),
      options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      metrics_(metrics) {}

void Hub::Impl::send_to(std::uint64_t conn_id, std::string frame) {
  if (auto* conn = connection(conn_id)) conn->connection->send(make_frame(std::move(frame)));
}

void Hub::Impl::fail(std::uint64_t conn_id, const Request& re, p::ErrorCode code, std::string message) {
  metrics_.refused(code);
  reply(conn_id, re, p::error_frame(re, code, message));
}

void Hub::Impl::fail(std::uint64_t conn_id, const Request& re, const backend::Error& error) {
  fail(conn_id, re, error.code, error.message);
}

ConnState* Hub::Impl::connection(std::uint64_t conn_id) {
  auto it = connections_.find(conn_id);
  return it == connections_.end() ? nullptr : &it->second;
}

LocalRoom* Hub::Impl::local_room(const std::string& room) {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? nullptr : it->second.get();
}

bool Hub::Impl::is_active_member(std::uint64_t conn_id, const std::string& room) {
  auto* local = local_room(room);
  return local && local->members.is_active(conn_id);
}

std::string Hub::Impl::conn_key(std::uint64_t conn_id) const {
  return options_.node_id + "/" + std::to_string(conn_id);
}

void Hub::Impl::open(std::shared_ptr<Connection> connection) {
  const auto id = connection->id();
  ConnState state;
  state.connection = std::move(connection);
  state.session_id = random_hex(16);
  connections_[id] = std::move(state);
  metrics_.connections_open++;
  metrics_.connections_total++;
}

void Hub::Impl::closed(std::uint64_t conn_id) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  const auto rooms = conn->rooms;
  for (const auto& room : rooms) remove_member(conn_id, room);
  connections_.erase(conn_id);
  metrics_.connections_open--;
}

namespace {

// Frames that change what later frames about the same room may do.
bool holds_its_room(const p::ClientBody& body) {
  return std::holds_alternative<p::Create>(body) || std::holds_alternative<p::Join>(body) ||
         std::holds_alternative<p::Leave>(body) ||
         (facilitation::is_facilitation_frame(body) && !std::holds_alternative<p::Export>(body));
}

}  // namespace

void Hub::Impl::handle(std::uint64_t conn_id, p::ClientFrame frame) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  metrics_.frames_received++;
  if (conn->authenticating) {
    // Their turn comes with the answer to `hello` (see finish_hello).
    if (conn->before_welcome.size() >= options_.max_waiting_frames) {
      return fail(conn_id, Request{frame.id, nullptr, nullptr}, p::ErrorCode::rate_limited,
                  "too many frames before the answer to hello: wait for it");
    }
    conn->before_welcome.push_back(std::move(frame));
    return;
  }
  route(conn_id, std::move(frame));
}

void Hub::Impl::route(std::uint64_t conn_id, p::ClientFrame frame) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  if (!admit_frame(conn_id, *conn, frame.id)) return;
  const bool allowed_before_hello =
      std::holds_alternative<p::Hello>(frame.body) || std::holds_alternative<p::Ping>(frame.body);
  if (!conn->user && !allowed_before_hello) {
    fail(conn_id, Request{frame.id, nullptr, nullptr}, p::ErrorCode::unauthenticated, "say hello first");
    return;
  }
  const std::string* room = p::room_of(frame.body);
  if (room) {
    auto queue = conn->waiting_on_room.find(*room);
    if (queue != conn->waiting_on_room.end() && queue->second.answered) {
      // The release is on its way; a client that answered the reply at once need not wait for it.
      release_room(conn_id, *room, queue->second.hold);
      conn = connection(conn_id);
      if (!conn) return;
      queue = conn->waiting_on_room.find(*room);
    }
    if (queue != conn->waiting_on_room.end()) {
      if (conn->waiting_frames >= options_.max_waiting_frames) {
        fail(conn_id, Request{frame.id, nullptr, nullptr}, p::ErrorCode::rate_limited,
             "too many frames waiting for room '" + *room + "': wait for the replies");
        return;
      }
      queue->second.frames.push_back(std::move(frame));
      conn->waiting_frames++;
      return;
    }
  }
  dispatch(conn_id, std::move(frame));
}

std::shared_ptr<RoomHold> Hub::Impl::hold_room(std::uint64_t conn_id, const std::string& room) {
  auto* conn = connection(conn_id);
  const auto number = ++conn->holds_taken;
  auto& queue = conn->waiting_on_room[room];
  queue.hold = number;
  queue.answered = false;
  // Posted: the waiting frames run after the handler that released the hold has finished.
  return std::make_shared<RoomHold>(room, number, [self = shared_from_this(), conn_id, room, number] {
    asio::post(self->strand_, [self, conn_id, room, number] { self->release_room(conn_id, room, number); });
  });
}

void Hub::Impl::reply(std::uint64_t conn_id, const Request& re, std::string frame) {
  send_to(conn_id, std::move(frame));
  if (!re.hold) return;
  if (auto* conn = connection(conn_id)) {
    auto queue = conn->waiting_on_room.find(re.hold->room);
    if (queue != conn->waiting_on_room.end() && queue->second.hold == re.hold->number) queue->second.answered = true;
  }
  re.hold->release();
}

void Hub::Impl::release_room(std::uint64_t conn_id, const std::string& room, std::uint64_t hold) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  auto queue = conn->waiting_on_room.find(room);
  if (queue == conn->waiting_on_room.end() || queue->second.hold != hold) return;  // already released
  while (!queue->second.frames.empty()) {
    auto frame = std::move(queue->second.frames.front());
    queue->second.frames.pop_front();
    conn->waiting_frames--;
    if (holds_its_room(frame.body)) {
      // The next holder takes over the room's entry, with the frames still behind it.
      queue->second.hold = 0;
      dispatch(conn_id, std::move(frame));
      return;
    }
    dispatch(conn_id, std::move(frame));
    conn = connection(conn_id);
    if (!conn) return;
    queue = conn->waiting_on_room.find(room);
    if (queue == conn->waiting_on_room.end()) return;
  }
  conn->waiting_on_room.erase(queue);
}

void Hub::Impl::dispatch(std::uint64_t conn_id, p::ClientFrame frame) {
  const std::string* room = p::room_of(frame.body);
  auto* conn = connection(conn_id);
  if (!conn) return;
  Request re{std::move(frame.id), room && holds_its_room(frame.body) ? hold_room(conn_id, *room) : nullptr,
        std::make_shared<InFlight>(conn->in_flight)};
  std::visit(overloaded{
                 [&](const p::Hello& hello) { on_hello(conn_id, re, hello); },
                 [&](const p::Ping&) { reply(conn_id, re, p::pong_frame(re)); },
                 [&](const p::Status& status) { on_status(conn_id, re, status); },
                 [&](const p::Create& create) { on_create(conn_id, re, create); },
                 [&](const p::ListRooms& list) { on_rooms(conn_id, re, list); },
                 [&](const p::Join& join) { on_join(conn_id, re, join); },
                 [&](const p::Leave& leave) { on_leave(conn_id, re, leave); },
                 [&](const p::Send& send) { on_send(conn_id, re, send); },
                 [&](const p::History& history) { on_history(conn_id, re, history); },
                 [&](const p::ListTopics& list) { on_topics(conn_id, re, list); },
                 [&](const p::MarkRead& read) { on_mark_read(conn_id, re, read); },
                 [&](const p::Typing& typing) { on_typing(conn_id, re, typing); },
                 [&](const p::PresencePage& page) { on_presence_page(conn_id, re, page); },
                 [&](const p::Export& request) { on_export(conn_id, re, request); },
                 [&](const p::SetRole& set) { on_set_role(conn_id, re, set); },
                 [&](const p::Edit& edit) { on_edit(conn_id, re, edit); },
                 [&](const p::Delete& remove) { on_delete(conn_id, re, remove); },
                 [&](const p::RemoveMessage& remove) { on_remove_message(conn_id, re, remove); },
                 [&](const p::Changes& changes) { on_changes(conn_id, re, changes); },
                 [&](const p::Search& search) { on_search(conn_id, re, search); },
                 [&](const auto&) {
                   if (facilitation::is_facilitation_frame(frame.body)) return on_facilitation(conn_id, re, frame.body);
                   on_access_frame(conn_id, re, frame.body);
                 },
             },
             frame.body);
}

// ---- session ----

void Hub::Impl::on_hello(std::uint64_t conn_id, const Request& re, const p::Hello& hello) {
  auto* conn = connection(conn_id);
  if (conn->user) {
    fail(conn_id, re, p::ErrorCode::conflict, "hello was already said on this connection");
    return;
  }
  if (conn->authenticating) {
    fail(conn_id, re, p::ErrorCode::conflict, "hello is already being checked on this connection");
    return;
  }
  if (accounts_mode()) return on_hello_accounts(conn_id, re, hello);
  // Checking a signed token costs real CPU: done off the strand every room shares, on a thread of
  // its own so that it never waits behind bulk work.
  conn->authenticating = true;
  check_off_strand([authenticate = authenticate_, hello] { return authenticate(hello); },
                   [this, conn_id, re](Result<p::User> user) { finish_hello(conn_id, re, std::move(user)); });
}

void Hub::Impl::finish_hello(std::uint64_t conn_id, const Request& re, Result<p::User> user,
                             std::optional<accounts::Identity> identity) {
  auto* conn = connection(conn_id);
  if (!conn) return;
  conn->authenticating = false;
  if (!user) {
    fail(conn_id, re, user.error());
  } else {
    conn->user = user.value();
    conn->connection->greeted();
    p::Privileges privileges;
    if (identity) privileges = {identity->account.admin, identity->account.org_admin};
    conn->identity = identity ? std::make_unique<accounts::Identity>(std::move(*identity)) : nullptr;
    if (conn->identity) keep_sessions_in_use();
    reply(conn_id, re, p::welcome_frame(re, *conn->user, conn->session_id, options_.node_id, now_ms(), privileges));
  }
  // The frames that came meanwhile, in order; a second hello among them is refused as usual.
  auto waiting = std::move(conn->before_welcome);
  conn->before_welcome.clear();
  for (auto& frame : waiting) {
    if (!connection(conn_id)) return;
    route(conn_id, std::move(frame));
  }
}

}  // namespace outloud::core
