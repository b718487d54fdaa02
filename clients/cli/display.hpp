// Making text from the network safe to print on a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace outloud::client {

// Control characters (C0, DEL, C1), bidirectional overrides and invalid UTF-8 are shown as visible
// codes ("^[" , "<U+202E>", "\xNN"), so a message cannot move the cursor, recolour or retitle the
// terminal. With `multiline`, '\n' is kept and followed by `indent`; otherwise it is shown as "⏎".
std::string terminal_safe(std::string_view text, bool multiline = false, std::string_view indent = "    ");

// "14:02" in local time for a timestamp in milliseconds since the epoch.
std::string clock_time(std::int64_t ms);

}  // namespace outloud::client
