#include "server/core/node_wide.hpp"

namespace outloud::core {

bool SharedSlots::take_or_wait(std::function<void()> on_free) {
  std::lock_guard lock(mutex_);
  if (running_ < max_) {
    ++running_;
    return true;
  }
  waiting_.push_back(std::move(on_free));
  return false;
}

void SharedSlots::release() {
  std::function<void()> next;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      --running_;
      return;
    }
    next = std::move(waiting_.front());  // the slot passes on: running_ stays
    waiting_.pop_front();
  }
  next();
}

int SharedSlots::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

bool CreateAllowances::take(const std::string& user_id) {
  if (per_minute_ <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (by_user_.size() >= max_users_) {
    const auto refill = std::chrono::duration<double>(60.0);  // a full bucket takes a minute to refill
    for (auto it = by_user_.begin(); it != by_user_.end();) {
      it = now - it->second.last_used > refill ? by_user_.erase(it) : std::next(it);
    }
  }
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) {
    it = by_user_.emplace(user_id, Allowance{net::TokenBucket(per_minute_ / 60.0, per_minute_, now), now}).first;
  }
  it->second.last_used = now;
  return it->second.bucket.try_take(now);
}

}  // namespace outloud::core
