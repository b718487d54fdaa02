#include "server/accounts/attempt_limiter.hpp"

#include <algorithm>

namespace outloud::accounts {

AttemptLimiter::AttemptLimiter(std::size_t max_failures, Clock::duration window, std::size_t max_addresses)
    : max_failures_(max_failures), window_(window), max_addresses_(std::max<std::size_t>(max_addresses, 1)) {}

std::string AttemptLimiter::key_of(const boost::asio::ip::address& address) {
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return address.to_string();
}

void AttemptLimiter::forget_old(std::deque<Clock::time_point>& times, Clock::time_point now) const {
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
}

std::deque<AttemptLimiter::Clock::time_point>& AttemptLimiter::recent_failures(const std::string& key,
                                                                               Clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    if (failures_.size() >= max_addresses_) make_room(now);
    it = failures_.emplace(key, std::deque<Clock::time_point>{}).first;
  }
  forget_old(it->second, now);
  return it->second;
}

bool AttemptLimiter::allowed(const std::string& key, Clock::time_point now) {
  if (max_failures_ == 0) return true;
  std::lock_guard lock(mutex_);
  const auto it = failures_.find(key);
  if (it == failures_.end()) return true;
  forget_old(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return true;
  }
  return it->second.size() < max_failures_;
}

void AttemptLimiter::failed(const std::string& key, Clock::time_point now) {
  if (max_failures_ == 0) return;
  std::lock_guard lock(mutex_);
  auto& times = recent_failures(key, now);
  times.push_back(now);
  while (times.size() > max_failures_) times.pop_front();  // the newest ones decide
}

bool AttemptLimiter::try_begin(const std::string& key, Clock::time_point now) {
  if (max_failures_ == 0) return true;
  std::lock_guard lock(mutex_);
  auto& times = recent_failures(key, now);
  if (times.size() >= max_failures_) return false;
  times.push_back(now);
  return true;
}

void AttemptLimiter::succeeded(const std::string& key, Clock::time_point began) {
  if (max_failures_ == 0) return;
  std::lock_guard lock(mutex_);
  const auto it = failures_.find(key);
  if (it == failures_.end()) return;
  auto& times = it->second;
  const auto found = std::find(times.rbegin(), times.rend(), began);
  if (found != times.rend()) times.erase(std::next(found).base());
  if (times.empty()) failures_.erase(it);
}

// Called with the lock held and the map full.
void AttemptLimiter::make_room(Clock::time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    forget_old(it->second, now);
    it = it->second.empty() ? failures_.erase(it) : std::next(it);
  }
  if (failures_.size() < max_addresses_) return;
  // Every address failed recently: forget the one whose last failure is oldest.
  const auto oldest = std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
    return a.second.back() < b.second.back();
  });
  failures_.erase(oldest);
}

std::size_t AttemptLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return failures_.size();
}

}  // namespace outloud::accounts
