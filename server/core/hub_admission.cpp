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

void Hub::Impl::admit_create(std::uint64_t conn_id, const Request& re, std::function<void()> create) {
  const auto& user = *connection(conn_id)->user;
  if (!node_->create_allowances.take(user.id)) {
    return fail(conn_id, re, p::ErrorCode::rate_limited,
                "room creation is limited to " + std::to_string(static_cast<long long>(options_.create_rate_per_minute)) +
                    " per minute per user: try again in a little while");
  }
  if (options_.max_rooms <= 0) return create();
  backends_.store.count_rooms(on_strand<std::int64_t>([this, conn_id, re, create](Result<std::int64_t> count) {
    if (!connection(conn_id)) return;
    if (!count) return fail(conn_id, re, count.error());
    if (count.value() + node_->creates_in_flight.load() >= options_.max_rooms) {
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

void Hub::Impl::with_slot(SharedSlots& slots, std::function<void()> work) {
  // Freed by another strand, perhaps: the work comes back to this one (or frees the slot, if this
  // strand is gone).
  const bool free = slots.take_or_wait([weak = weak_from_this(), strand = strand_, node = node_, &slots,
                                        work]() mutable {
    asio::post(strand, [weak, node, &slots, work = std::move(work)] {
      if (weak.lock()) return work();
      slots.release();
    });
  });
  if (free) work();
}

void Hub::Impl::with_history_slot(std::function<void()> read) { with_slot(node_->history_reads, std::move(read)); }

void Hub::Impl::history_slot_done() { node_->history_reads.release(); }

}  // namespace outloud::core
