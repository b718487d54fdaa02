// How many members each room has on this node, summed over the hub's strands: what the room-size
// thresholds (message rounds, presence batches) compare with, whichever strand a member is on.
// A strand's LocalRoom holds a Share of its room's count; reading it is one atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace outloud::core {

class RoomCensus {
 public:
  using Count = std::atomic<std::int64_t>;

  // One strand's part of a room's count, counted until it changes or the share is destroyed.
  class Share {
   public:
    Share() = default;
    explicit Share(std::shared_ptr<Count> count) : count_(std::move(count)) {}
    Share(Share&&) = default;
    Share& operator=(Share&&) = default;
    ~Share() {
      if (count_) *count_ -= mine_;
    }
    // This strand's members of the room now (after each change).
    void follow(std::int64_t members) {
      if (count_) *count_ += members - mine_;
      mine_ = members;
    }
    // Members on the node (without a census, this strand's own).
    std::int64_t node_members() const { return count_ ? count_->load(std::memory_order_relaxed) : mine_; }

   private:
    std::shared_ptr<Count> count_;
    std::int64_t mine_ = 0;
  };

  // `rooms_open`, if given, counts the rooms some strand holds a share of (it must outlive them).
  explicit RoomCensus(std::atomic<std::int64_t>* rooms_open = nullptr) : rooms_open_(rooms_open) {}
  Share share(const std::string& room);

 private:
  std::atomic<std::int64_t>* rooms_open_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<Count>> rooms_;
  std::size_t sweep_at_ = 64;  // entries past which those no strand holds are dropped
};

}  // namespace outloud::core
