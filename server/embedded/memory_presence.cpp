#include "server/embedded/memory_presence.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace outloud::embedded {

namespace {
std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

MemoryPresence::MemoryPresence() : MemoryPresence(system_now_ms) {}
MemoryPresence::MemoryPresence(Clock clock) : clock_(std::move(clock)) {}

// Callbacks run after the lock is released, so they may call back into the registry.

void MemoryPresence::join(std::string room, std::string conn_key, protocol::User user, backend::Callback<bool> done) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    auto& members = rooms_[room];
    auto [it, inserted] = members.try_emplace(user.id);
    if (inserted) {
      it->second.user = std::move(user);
      it->second.since = clock_();
      first = true;
    }
    it->second.connections.insert(std::move(conn_key));
  }
  if (done) done(first);
}

void MemoryPresence::leave(std::string room, std::string conn_key, std::string user_id, backend::Callback<bool> done) {
  bool last = false;
  {
    std::lock_guard lock(mutex_);
    auto room_it = rooms_.find(room);
    if (room_it != rooms_.end()) {
      auto member_it = room_it->second.find(user_id);
      if (member_it != room_it->second.end() && member_it->second.connections.erase(conn_key) != 0 &&
          member_it->second.connections.empty()) {
        room_it->second.erase(member_it);
        if (room_it->second.empty()) rooms_.erase(room_it);
        last = true;
      }
    }
  }
  if (done) done(last);
}

void MemoryPresence::set_state(std::string room, std::string user_id, protocol::PresenceState state,
                               backend::Callback<bool> done) {
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    auto room_it = rooms_.find(room);
    if (room_it != rooms_.end()) {
      auto member_it = room_it->second.find(user_id);
      if (member_it != room_it->second.end() && member_it->second.state != state) {
        member_it->second.state = state;
        changed = true;
      }
    }
  }
  if (done) done(changed);
}

void MemoryPresence::list(std::string room, backend::Callback<std::vector<protocol::PresenceEntry>> done) {
  std::vector<protocol::PresenceEntry> entries;
  {
    std::lock_guard lock(mutex_);
    auto room_it = rooms_.find(room);
    if (room_it != rooms_.end()) {
      entries.reserve(room_it->second.size());
      for (const auto& [id, member] : room_it->second) entries.push_back({member.user, member.state, member.since});
    }
  }
  // The map already orders by user id; a stable sort by `since` keeps that as the tie-break.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const protocol::PresenceEntry& a, const protocol::PresenceEntry& b) { return a.since < b.since; });
  if (done) done(std::move(entries));
}

void MemoryPresence::page(std::string room, std::string after, int limit,
                          backend::Callback<backend::PresencePage> done) {
  backend::PresencePage page;
  {
    std::lock_guard lock(mutex_);
    auto room_it = rooms_.find(room);
    if (room_it != rooms_.end()) {
      const auto& members = room_it->second;
      page.online = static_cast<int>(members.size());
      auto it = after.empty() ? members.begin() : members.upper_bound(after);
      for (; it != members.end() && static_cast<int>(page.entries.size()) < limit; ++it) {
        page.entries.push_back({it->second.user, it->second.state, it->second.since});
      }
      if (it != members.end() && !page.entries.empty()) page.next = page.entries.back().user.id;
    }
  }
  if (done) done(std::move(page));
}

void MemoryPresence::online_counts(std::vector<std::string> rooms, backend::Callback<std::vector<int>> done) {
  std::vector<int> counts;
  counts.reserve(rooms.size());
  {
    std::lock_guard lock(mutex_);
    for (const auto& room : rooms) {
      auto it = rooms_.find(room);
      counts.push_back(it == rooms_.end() ? 0 : static_cast<int>(it->second.size()));
    }
  }
  if (done) done(std::move(counts));
}

void MemoryPresence::set_expiry_handler(std::function<void(std::string, protocol::User)>) {
  // Every connection is local: when this process dies, its presence dies with it.
}

}  // namespace outloud::embedded
