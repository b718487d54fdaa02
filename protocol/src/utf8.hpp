// UTF-8 helpers internal to the protocol library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace outloud::protocol::detail {

// Decodes the code point starting at `pos` of valid UTF-8 and advances `pos` past it.
inline char32_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    pos += 1;
    return lead;
  }
  if (lead < 0xE0) {
    const char32_t cp = ((lead & 0x1Fu) << 6) | (byte(pos + 1) & 0x3Fu);
    pos += 2;
    return cp;
  }
  if (lead < 0xF0) {
    const char32_t cp = ((lead & 0x0Fu) << 12) | ((byte(pos + 1) & 0x3Fu) << 6) | (byte(pos + 2) & 0x3Fu);
    pos += 3;
    return cp;
  }
  const char32_t cp = ((lead & 0x07u) << 18) | ((byte(pos + 1) & 0x3Fu) << 12) | ((byte(pos + 2) & 0x3Fu) << 6) |
                      (byte(pos + 3) & 0x3Fu);
  pos += 4;
  return cp;
}

// Length in bytes of the valid UTF-8 sequence starting at `pos`, or 0 if none starts there.
std::size_t valid_sequence_length(std::string_view text, std::size_t pos);

// The text with every invalid byte replaced by U+FFFD (a copy; only used when validation failed).
std::string repair_utf8(std::string_view text);

// At most `max_chars` code points of valid UTF-8, with "…" appended when it was cut.
std::string truncate_chars(std::string_view text, std::size_t max_chars);

}  // namespace outloud::protocol::detail
