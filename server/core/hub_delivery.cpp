// Delivery: what the bus brings for a room goes to its members on this node, messages through
// the room's sequencer (in seq order, gaps filled from the store).
#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

void Hub::Impl::publish_event(const std::string& room, std::string frame, std::string exclude_user,
                              std::vector<std::string> only_users, backend::Callback<backend::Unit> published,
                              backend::BusEvent::Kind kind) {
  backend::BusEvent event;
  event.kind = kind;
  event.room = room;
  event.exclude_user = std::move(exclude_user);
  event.only_users = std::move(only_users);
  event.payload = make_frame(std::move(frame));
  backends_.bus.publish(std::move(event), [room, done = std::move(published)](Result<backend::Unit> result) {
    if (!result) log::warn("event for room %s not published: %s", room.c_str(), result.error().message.c_str());
    if (done) done(std::move(result));
  });
}

void Hub::Impl::on_bus_event(backend::BusEvent event) {
  if (is_notice(event)) return on_notice(event);
  if (event.kind == backend::BusEvent::Kind::control) return on_control(event);
  auto* local = local_room(event.room);
  if (!local) return;
  switch (event.kind) {
    case backend::BusEvent::Kind::message:
      apply_sequencer(event.room, local->sequencer.on_message(event.seq, event.payload));
      break;
    case backend::BusEvent::Kind::event:
      deliver_event(*local, event);
      break;
    case backend::BusEvent::Kind::presence:
      deliver_presence(*local, event);
      break;
    case backend::BusEvent::Kind::state:
      if (event.version > local->session_version && event.payload) {
        adopt_state(*local, event.version, facilitation::state_from_json(*event.payload));
      }
      break;
    case backend::BusEvent::Kind::control:
      break;
  }
}

void Hub::Impl::subscribe_own_channel(std::string channel, std::string what) {
  own_channels_waiting_.fetch_add(1, std::memory_order_acq_rel);
  asio::post(strand_, [self = shared_from_this(), channel = std::move(channel), what = std::move(what)]() mutable {
    self->subscribe_until_ready(std::move(channel), std::move(what));
  });
}

void Hub::Impl::subscribe_until_ready(std::string channel, std::string what, int attempt) {
  backends_.bus.subscribe(channel, [weak = weak_from_this(), channel, what, attempt](Result<backend::Unit> ready) {
    auto self = weak.lock();
    if (!self) return;
    if (ready) {
      if (attempt > 0) log::info("%s: subscribed", what.c_str());
      self->own_channels_waiting_.fetch_sub(1, std::memory_order_acq_rel);
      return;
    }
    // At start the bus is usually still connecting, which is no outage: worth a warning only if it
    // lasts (50 tries, 5 s).
    if (attempt == 0) log::info("%s: connecting to redis", what.c_str());
    if (attempt == 50) log::warn("%s: %s; subscribing again", what.c_str(), ready.error().message.c_str());
    auto timer = std::make_shared<asio::steady_timer>(self->strand_, std::chrono::milliseconds(100));
    timer->async_wait([weak, timer, channel, what, attempt](boost::system::error_code error) {
      if (auto self = weak.lock(); self && !error) self->subscribe_until_ready(channel, what, attempt + 1);
    });
  });
}

void Hub::Impl::on_bus_reconnected() {
  // Pub/sub dropped whatever was published while we were away: read it from the store.
  for (auto& [name, local] : rooms_) {
    // If we were away longer than presence entries live, other nodes swept ours: put them back
    // (joining again with the same key is a no-op otherwise) and announce whoever was missing.
    for (const auto& [conn_id, member] : local->members.members()) {
      auto* conn = connection(conn_id);
      if (!member.active || !conn) continue;
      backends_.presence.join(name, conn_key(conn_id), *conn->user,
                              on_strand<bool>([this, room = name, user = *conn->user](Result<bool> first) {
                                if (first && first.value()) {
                                  publish_presence(room, p::presence_event(room, p::PresenceEvent::join, user,
                                                                        p::PresenceState::online),
                                                user.id);
                                }
                              }));
    }
    if (local->ready) apply_sequencer(name, local->sequencer.resync());
    // The facilitation state may have moved on too.
    local->session_version = -1;
    ensure_state(name, [](std::optional<backend::Error>) {});
  }
  // Notices (room list changes, read markers, mentions) are not kept anywhere to refill from:
  // whoever follows the list is told to read it again.
  const Frame refresh = make_frame(p::room_list_refresh_event());
  for (auto& [id, conn] : connections_) {
    if (conn.user && conn.follows_room_list) conn.connection->send(refresh);
  }
}

void Hub::Impl::apply_sequencer(const std::string& room, RoomSequencer::Actions actions) {
  auto* local = local_room(room);
  if (!local) return;
  for (auto& [seq, frame] : actions.emit) emit_message(*local, seq, frame);
  if (actions.fetch) fetch_missing(room, *actions.fetch);
}

void Hub::Impl::fetch_missing(const std::string& room, RoomSequencer::Fetch fetch) {
  metrics_.bus_gaps_filled++;
  backends_.store.after(room, fetch.after, fetch.limit,
                        on_strand<backend::Page>([this, room, limit = fetch.limit](Result<backend::Page> page) {
                          auto* local = local_room(room);
                          if (!local) return;
                          if (!page) {
                            log::warn("filling room %s from the store failed: %s", room.c_str(),
                                      page.error().message.c_str());
                            local->sequencer.on_fetch_failed();
                            retry_fetch_later(*local);
                            return;
                          }
                          local->fetch_failures = 0;
                          std::vector<std::pair<std::int64_t, Frame>> fetched;
                          for (const auto& message : page.value().messages) {
                            fetched.emplace_back(message.seq, make_frame(p::message_event(message)));
                          }
                          apply_sequencer(room, local->sequencer.on_fetched(std::move(fetched), limit));
                        }));
}

// A quiet room gets no next message to set it going again: a timer does.
void Hub::Impl::retry_fetch_later(LocalRoom& room) {
  const auto delay = std::min(options_.gap_retry_max, options_.gap_retry_initial * (1 << std::min(room.fetch_failures, 16)));
  room.fetch_failures++;
  if (!room.fetch_retry) room.fetch_retry = std::make_unique<asio::steady_timer>(strand_);
  room.fetch_retry->expires_after(delay);
  room.fetch_retry->async_wait([self = shared_from_this(), name = room.meta.id](boost::system::error_code error) {
    if (error) return;
    if (auto* local = self->local_room(name)) self->apply_sequencer(name, local->sequencer.retry());
  });
}

// A busy large room's messages go out in rounds (limits.hpp, message_round_interval): once the
// room gets a message or more an interval (on average), a message that comes sooner than the
// interval after the last round waits for the next. A quieter room is not held back at all:
// rounds of one message would only add their wait.
void Hub::Impl::emit_message(LocalRoom& room, std::int64_t seq, const Frame& frame) {
  using Clock = std::chrono::steady_clock;
  const auto interval = options_.message_round_interval;
  const auto now = Clock::now();
  const auto gap = room.last_message == Clock::time_point{} ? Clock::duration(interval) : now - room.last_message;
  room.last_message = now;
  // A moving average over about the last four messages.
  room.mean_gap = room.mean_gap == Clock::duration{} ? Clock::duration(interval) : (3 * room.mean_gap + gap) / 4;
  const bool busy = room.mean_gap < interval;
  const bool in_rounds = interval.count() > 0 && !draining_ && busy &&
                         room.census.node_members() >= static_cast<std::int64_t>(options_.message_rounds_from);
  const bool pause = room.last_round == Clock::time_point{} || now - room.last_round >= interval;
  const std::int64_t sent_ms = p::message_event_ts(*frame).value_or(0);
  if (!in_rounds || (room.round_waiting.empty() && pause)) {
    deliver_round(room);
    room.last_round = now;
    const auto send = send_messages_to_member(sent_ms);
    const auto delivered = room.members.deliver_message(
        seq, frame, [&send](const RoomMembers::Member& member, const Frame& one) { send(member, &one, 1, 1); });
    metrics_.deliveries += delivered;
    if (delivered > 0) metrics_.round_wait_latency.observe(Clock::duration::zero(), static_cast<std::int64_t>(delivered));
    return;
  }
  if (room.round_waiting.empty()) {
    room.round_opened = now;
    room.round_sent_ms = sent_ms;
  }
  room.round_sent_ms = std::min(room.round_sent_ms, sent_ms);
  room.round_waiting.emplace_back(seq, frame);
  if (room.round_timer_armed) return;
  if (!room.round_timer) room.round_timer = std::make_unique<asio::steady_timer>(strand_);
  room.round_timer_armed = true;
  room.round_timer->expires_at(room.last_round + interval);
  room.round_timer->async_wait([self = shared_from_this(), name = room.meta.id](boost::system::error_code error) {
    if (error) return;
    auto* local = self->local_room(name);
    if (!local) return;
    local->round_timer_armed = false;
    self->deliver_round(*local);
  });
}

void Hub::Impl::deliver_round(LocalRoom& room) {
  if (room.round_waiting.empty()) return;
  const auto waiting = std::move(room.round_waiting);
  room.round_waiting.clear();
  room.last_round = std::chrono::steady_clock::now();
  const auto delivered = room.members.deliver_messages(
      waiting, send_messages_to_member(room.round_sent_ms), [&room](const Frame* frames, std::size_t count) {
        std::vector<std::string_view> messages;
        messages.reserve(count);
        for (std::size_t i = 0; i < count; ++i) messages.emplace_back(*frames[i]);
        return make_frame(p::message_batch_event(room.meta.id, messages));
      });
  metrics_.deliveries += delivered;
  // Each delivery waited at most as long as the round's first message: counted so, one clock read a round.
  if (delivered > 0) {
    metrics_.round_wait_latency.observe(room.last_round - room.round_opened, static_cast<std::int64_t>(delivered));
  }
}

void Hub::Impl::deliver_event(LocalRoom& room, const backend::BusEvent& event) {
  deliver_round(room);
  room.members.deliver_event(event, false, send_to_member());
}

}  // namespace outloud::core
