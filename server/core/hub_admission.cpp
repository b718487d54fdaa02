// Bounded work per request: frames in flight per connection, room creation per user and in total,
// and history pages kept under a byte budget and built off the strand.
#include <malloc.h>

#include "server/core/hub_impl.hpp"
#include "server/core/reply_budget.hpp"

namespace outloud::core {

bool Hub::Impl::admit_frame(std::uint64_t conn_id, ConnState& conn, const p::ReplyTo& id) {
  const auto limit = static_cast<std::size_t>(std::max(1, options_.max_requests_in_flight));
  if (static_cast<std::size_t>(conn.in_flight->load()) + conn.waiting_frames < limit) return true;
  fail(conn_id, Request{id, nullptr, nullptr}, p::ErrorCode::rate_limited,
       "too many requests in flight on this connection (" + std::to_string(limit) + "): wait for the replies");
  return false;
}

bool Hub::Impl::take_create_token(const std::string& user_id) {
  const double per_minute = options_.create_rate_per_minute;
  if (per_minute <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  if (create_allowances_.size() >= options_.max_create_allowances) {
    const auto refill = std::chrono::duration<double>(60.0);  // a full bucket takes a minute to refill
    for (auto it = create_allowances_.begin(); it != create_allowances_.end();) {
      it = now - it->second.last_used > refill ? create_allowances_.erase(it) : std::next(it);
    }
  }
  auto it = create_allowances_.find(user_id);
  if (it == create_allowances_.end()) {
    it = create_allowances_.emplace(user_id, CreateAllowance{net::TokenBucket(per_minute / 60.0, per_minute, now), now})
             .first;
  }
  it->second.last_used = now;
  return it->second.bucket.try_take(now);
}

void Hub::Impl::admit_create(std::uint64_t conn_id, const Request& re, std::function<void()> create) {
  const auto& user = *connection(conn_id)->user;
  if (!take_create_token(user.id)) {
    return fail(conn_id, re, p::ErrorCode::rate_limited,
                "room creation is limited to " + std::to_string(static_cast<long long>(options_.create_rate_per_minute)) +
                    " per minute per user: try again in a little while");
  }
  if (options_.max_rooms <= 0) return create();
  backends_.store.count_rooms(on_strand<std::int64_t>([this, conn_id, re, create](Result<std::int64_t> count) {
    if (!connection(conn_id)) return;
    if (!count) return fail(conn_id, re, count.error());
    if (count.value() + creates_in_flight_ >= options_.max_rooms) {
      return fail(conn_id, re, p::ErrorCode::forbidden,
                  "this server holds its maximum of " + std::to_string(options_.max_rooms) +
                      " rooms: no more can be created");
    }
    create();
  }));
}

void Hub::Impl::answer_history(std::uint64_t conn_id, const Request& re, std::string room, bool keep_newest,
                               Result<backend::Page> page) {
  off_strand(
      [re, room = std::move(room), keep_newest, page = std::move(page), budget = options_.max_reply_bytes]() mutable
      -> Result<std::string> {
        if (!page) return page.error();
        auto& messages = page.value().messages;
        trim_to_budget(messages, budget, keep_newest);
        return p::history_frame(re, room, messages);
      },
      [this, conn_id, re](Result<std::string> frame) { answer_large(conn_id, re, std::move(frame)); });
}

void Hub::Impl::answer_large(std::uint64_t conn_id, const Request& re, Result<std::string> frame) {
  history_slot_done();
  if (!frame) return fail(conn_id, re, frame.error());
  if (frame.value().size() > options_.max_reply_bytes / 4) trim_memory_soon();
  reply(conn_id, re, std::move(frame.value()));
}

void Hub::Impl::trim_memory_soon() {
  if (trim_armed_) return;  // a trim is due within kTrimDelay already
  if (!trim_timer_) trim_timer_ = std::make_unique<asio::steady_timer>(strand_);
  trim_armed_ = true;
  trim_timer_->expires_after(kTrimDelay);
  trim_timer_->async_wait([weak = weak_from_this()](boost::system::error_code error) {
    auto self = weak.lock();
    if (!self) return;
    self->trim_armed_ = false;
    if (!error) asio::post(*self->workers_, [] { malloc_trim(0); });
  });
}

void Hub::Impl::with_history_slot(std::function<void()> read) {
  if (history_reads_running_ >= std::max(1, options_.max_history_reads_at_once)) {
    history_reads_waiting_.push_back(std::move(read));
    return;
  }
  ++history_reads_running_;
  read();
}

void Hub::Impl::history_slot_done() {
  --history_reads_running_;
  if (history_reads_waiting_.empty()) return;
  auto next = std::move(history_reads_waiting_.front());
  history_reads_waiting_.pop_front();
  ++history_reads_running_;
  next();
}

}  // namespace outloud::core
