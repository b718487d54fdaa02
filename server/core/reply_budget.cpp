#include "server/core/reply_budget.hpp"

namespace outloud::core {

namespace {
// Field names, numbers, the room and user ids: generous, so the estimate errs on the safe side.
constexpr std::size_t kMessageOverhead = 320;
}  // namespace

std::size_t reply_bytes(const protocol::Message& message) {
  // Escaping can grow text (a newline becomes two bytes); control characters are rare in chat.
  return kMessageOverhead + message.text.size() + message.text.size() / 8 + message.from.name.size() +
         message.topic.size() + (message.nonce ? message.nonce->size() : 0);
}

bool trim_to_budget(std::vector<protocol::Message>& messages, std::size_t budget, bool keep_newest) {
  std::size_t total = 0;
  std::size_t kept = 0;
  const std::size_t n = messages.size();
  for (; kept < n; ++kept) {
    const auto& message = keep_newest ? messages[n - 1 - kept] : messages[kept];
    total += reply_bytes(message);
    if (total > budget && kept > 0) break;
  }
  if (kept == n) return false;
  if (keep_newest) {
    messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(n - kept));
  } else {
    messages.resize(kept);
  }
  return true;
}

}  // namespace outloud::core
