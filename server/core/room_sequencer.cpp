#include "server/core/room_sequencer.hpp"

#include <algorithm>

#include "server/core/log.hpp"

namespace outloud::core {

RoomSequencer::Actions RoomSequencer::prime(std::int64_t head) {
  if (primed()) return {};
  cursor_ = head;
  pending_.erase(pending_.begin(), pending_.upper_bound(head));
  return drain();
}

RoomSequencer::Actions RoomSequencer::on_message(std::int64_t seq, Frame frame) {
  if (primed() && seq <= cursor_) return {};  // already emitted
  if (primed() && pending_.size() >= max_pending_ && seq > cursor_ + 1) {
    log::warn("room sequencer: %zu messages held ahead of a gap; reading them from the store instead",
              pending_.size());
    pending_.clear();
    overflowed_ = true;
    return resync();
  }
  pending_.emplace(seq, std::move(frame));
  if (!primed()) return {};
  return drain();
}

RoomSequencer::Actions RoomSequencer::retry() {
  if (!primed() || fetching_) return {};
  auto actions = drain();
  if (actions.fetch || !actions.emit.empty()) return actions;
  return resync();
}

RoomSequencer::Actions RoomSequencer::on_fetched(std::vector<std::pair<std::int64_t, Frame>> messages,
                                                 int requested) {
  fetching_ = false;
  const bool was_gap_fetch = gap_fetch_in_flight_;
  gap_fetch_in_flight_ = false;
  Actions actions;
  for (auto& [seq, frame] : messages) {
    if (seq <= cursor_) continue;
    if (seq != cursor_ + 1) break;  // the store itself has a hole: handled below
    cursor_ = seq;
    pending_.erase(seq);
    actions.emit.emplace_back(seq, std::move(frame));
  }
  const bool store_has_more = static_cast<int>(messages.size()) >= requested;
  if (!pending_.empty() && pending_.begin()->first > cursor_ + 1 && !store_has_more && was_gap_fetch) {
    // The store answered everything it has and the gap is still there: those seqs do not exist.
    // Waiting would stall the room for good, so move on and say so.
    log::warn("room sequencer: seqs %lld..%lld missing from the store; skipping",
              static_cast<long long>(cursor_ + 1), static_cast<long long>(pending_.begin()->first - 1));
    cursor_ = pending_.begin()->first - 1;
  }
  auto rest = drain();
  actions.emit.insert(actions.emit.end(), std::make_move_iterator(rest.emit.begin()),
                      std::make_move_iterator(rest.emit.end()));
  actions.fetch = rest.fetch;
  if (overflowed_ && !was_gap_fetch && !store_has_more) overflowed_ = false;  // read up to the head
  if (!actions.fetch && (overflowed_ || (store_has_more && !was_gap_fetch)) && !fetching_) {
    // A resync goes on to the head; so does reading what an overflow dropped.
    fetching_ = true;
    actions.fetch = Fetch{cursor_, kFetchBatch};
  }
  return actions;
}

RoomSequencer::Actions RoomSequencer::resync() {
  if (!primed() || fetching_) return {};
  fetching_ = true;
  gap_fetch_in_flight_ = false;
  return Actions{{}, Fetch{cursor_, kFetchBatch}};
}

RoomSequencer::Actions RoomSequencer::drain() {
  Actions actions;
  while (!pending_.empty() && pending_.begin()->first <= cursor_ + 1) {
    auto node = pending_.extract(pending_.begin());
    if (node.key() <= cursor_) continue;
    cursor_ = node.key();
    actions.emit.emplace_back(node.key(), std::move(node.mapped()));
  }
  actions.fetch = next_fetch_for_gap();
  return actions;
}

std::optional<RoomSequencer::Fetch> RoomSequencer::next_fetch_for_gap() {
  if (pending_.empty() || fetching_) return std::nullopt;
  const std::int64_t missing = pending_.begin()->first - cursor_ - 1;
  if (missing <= 0) return std::nullopt;
  fetching_ = true;
  gap_fetch_in_flight_ = true;
  return Fetch{cursor_, static_cast<int>(std::min<std::int64_t>(missing, kFetchBatch))};
}

}  // namespace outloud::core
