// Messages: send (acknowledged once stored), history, typing; and the drain on shutdown.
#include "server/core/hub_impl.hpp"

namespace outloud::core {

void Hub::Impl::on_send(std::uint64_t conn_id, const Request& re, const p::Send& send) {
  auto* conn = connection(conn_id);
  if (!is_active_member(conn_id, send.room)) {
    fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + send.room + "' before sending to it");
    return;
  }
  auto* local = local_room(send.room);
  if (!facilitation::may_send(local->session, local->meta, conn->user->id)) {
    fail(conn_id, re, p::ErrorCode::forbidden,
         facilitation::role_of(local->session, local->meta, conn->user->id) == p::Role::observer
             ? "observers cannot send"
             : "the room is locked: only facilitators may send");
    return;
  }
  if (draining_) {
    fail(conn_id, re, p::ErrorCode::unavailable, "the server is shutting down");
    return;
  }
  backend::AppendRequest request{send.room, *conn->user, send.topic, send.text, send.tag, send.reply_to, send.nonce,
                                 now_ms()};
  write_started();
  backends_.store.append(std::move(request),
                         on_strand<backend::AppendResult>([this, conn_id, re, room = send.room,
                                                           started = std::chrono::steady_clock::now()](
                                                              Result<backend::AppendResult> appended) {
                           metrics_.send_store_latency.observe(std::chrono::steady_clock::now() - started);
                           // The answer is queued before the write counts as finished: a drain
                           // waiting for it closes the connection, and the close must come after it.
                           if (!appended) {
                             fail(conn_id, re, appended.error());
                           } else {
                             if (!appended.value().duplicate) metrics_.messages_stored++;
                             const auto& message = appended.value().message;
                             reply(conn_id, re, p::sent_frame(re, room, message.seq, message.ts));
                             if (!appended.value().duplicate) note_mentions(message);
                           }
                           write_finished();
                         }));
}

void Hub::Impl::write_finished() {
  if (--writes_in_flight_ == 0 && draining_) {
    auto waiters = std::move(drain_waiters_);
    drain_waiters_.clear();
    for (auto& waiter : waiters) waiter();
  }
}

void Hub::Impl::drain(std::function<void()> done) {
  draining_ = true;
  for (auto& [name, local] : rooms_) deliver_round(*local);  // and from now on, no room waits
  if (writes_in_flight_ == 0) return done();
  drain_waiters_.push_back(std::move(done));
}

void Hub::Impl::on_history(std::uint64_t conn_id, const Request& re, const p::History& history) {
  // Called on the store's thread: the page goes to a worker, not through the strand.
  backend::Callback<backend::Page> answer = [self = shared_from_this(), conn_id, re, room = history.room,
                                             keep_newest = !history.after](Result<backend::Page> page) mutable {
    self->answer_history(conn_id, re, std::move(room), keep_newest, std::move(page));
  };
  // The room must exist and be visible: an unknown or hidden room is not_found, not an empty history.
  with_visible_room(conn_id, re, history.room, [this, history, answer](const RoomAccess&) {
    const int limit = std::clamp(history.limit, 1, options_.history_max_limit);
    with_history_slot([this, history, limit, answer] {
      // A topic's thread: that topic's messages only.
      if (history.topic) {
        return backends_.store.topic_page(history.room, *history.topic, history.before, history.after, limit, answer);
      }
      constexpr auto bulk = backend::ReadLane::bulk;  // a page of up to max_reply_bytes
      if (history.before) return backends_.store.before(history.room, *history.before, limit, answer, bulk);
      if (history.after) return backends_.store.after(history.room, *history.after, limit, answer, bulk);
      backends_.store.latest(history.room, limit, answer, bulk);
    });
  });
}

void Hub::Impl::on_typing(std::uint64_t conn_id, const Request& re, const p::Typing& typing) {
  if (!is_active_member(conn_id, typing.room)) {
    if (re) fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + typing.room + "' first");
    return;
  }
  const auto& user = *connection(conn_id)->user;
  publish_event(typing.room, p::typing_event(typing.room, user, typing.topic), user.id);
  if (re) reply(conn_id, re, p::ok_frame(re));
}

}  // namespace outloud::core
