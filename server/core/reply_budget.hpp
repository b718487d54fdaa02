// A reply carrying messages stays under a byte budget: with large messages it carries fewer than
// asked, and the client pages on from where it ends (history `before`/`after`).
#pragma once

#include <cstddef>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::core {

// About how many bytes `message` takes in a reply.
std::size_t reply_bytes(const protocol::Message& message);

// Drops messages (ascending) until the rest fit in `budget` bytes, keeping the newest ones when
// `keep_newest` (a page read backwards from a point) or else the oldest (read forwards). At least
// one message stays. Returns true if any was dropped.
bool trim_to_budget(std::vector<protocol::Message>& messages, std::size_t budget, bool keep_newest);

}  // namespace outloud::core
