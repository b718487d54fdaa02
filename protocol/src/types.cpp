// Names of the protocol's enumerations and the identifier and UTF-8 rules of the contract.
#include "outloud/protocol/types.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "utf8.hpp"

namespace outloud::protocol {

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, kErrorCodeCount> kErrorCodeNames = {
    "bad_request", "unauthenticated", "forbidden",   "not_found", "conflict",
    "rate_limited", "too_large",      "unavailable", "internal",
};
constexpr std::array<std::string_view, 3> kRoomKindNames = {"room", "session", "breakout"};
constexpr std::array<std::string_view, 2> kVisibilityNames = {"open", "private"};
constexpr std::array<std::string_view, 4> kTagNames = {"learn", "do", "reflect", "share"};
constexpr std::array<std::string_view, 2> kPresenceStateNames = {"online", "away"};
constexpr std::array<std::string_view, 3> kPresenceEventNames = {"join", "leave", "update"};
constexpr std::array<std::string_view, 4> kRoleNames = {"owner", "facilitator", "member", "observer"};

bool is_slug_head(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_slug_tail(char c) { return is_slug_head(c) || c == '.' || c == '_' || c == '~' || c == '-'; }

}  // namespace

std::string_view to_string(ErrorCode code) { return kErrorCodeNames.at(static_cast<std::size_t>(code)); }
std::string_view to_string(RoomKind kind) { return kRoomKindNames.at(static_cast<std::size_t>(kind)); }
std::optional<RoomKind> room_kind_from(std::string_view text) { return lookup<RoomKind>(kRoomKindNames, text); }
std::string_view to_string(Visibility visibility) {
  return kVisibilityNames.at(static_cast<std::size_t>(visibility));
}
std::optional<Visibility> visibility_from(std::string_view text) {
  return lookup<Visibility>(kVisibilityNames, text);
}
std::string_view to_string(Tag tag) { return kTagNames.at(static_cast<std::size_t>(tag)); }
std::optional<Tag> tag_from(std::string_view text) { return lookup<Tag>(kTagNames, text); }
std::string_view to_string(PresenceState state) {
  return kPresenceStateNames.at(static_cast<std::size_t>(state));
}
std::optional<PresenceState> presence_state_from(std::string_view text) {
  return lookup<PresenceState>(kPresenceStateNames, text);
}
std::string_view to_string(PresenceEvent event) {
  return kPresenceEventNames.at(static_cast<std::size_t>(event));
}
std::string_view to_string(Role role) { return kRoleNames.at(static_cast<std::size_t>(role)); }
std::optional<Role> role_from(std::string_view text) { return lookup<Role>(kRoleNames, text); }

bool is_valid_slug(std::string_view id) {
  if (id.empty() || id.size() > 64 || !is_slug_head(id.front())) return false;
  for (char c : id.substr(1)) {
    if (!is_slug_tail(c)) return false;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
    if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) ++count;
  }
  return count;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Runs of ASCII (most text) are checked eight bytes at a time.
    for (std::uint64_t chunk = 0; pos + 8 <= text.size(); pos += 8) {
      std::memcpy(&chunk, text.data() + pos, 8);
      if ((chunk & 0x8080808080808080ull) != 0) break;
    }
    if (pos >= text.size()) break;
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = detail::valid_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

namespace detail {

std::size_t valid_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto in = [](unsigned char b, unsigned char lo, unsigned char hi) { return b >= lo && b <= hi; };
  const std::size_t left = text.size() - pos;
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;  // stray continuation byte or overlong 2-byte form
  if (lead < 0xE0) return left >= 2 && in(byte(pos + 1), 0x80, 0xBF) ? 2 : 0;
  if (lead < 0xF0) {
    if (left < 3) return 0;
    // E0 would be overlong below A0; ED A0..BF would encode a UTF-16 surrogate.
    const unsigned char lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = lead == 0xED ? 0x9F : 0xBF;
    return in(byte(pos + 1), lo, hi) && in(byte(pos + 2), 0x80, 0xBF) ? 3 : 0;
  }
  if (lead < 0xF5) {
    if (left < 4) return 0;
    // F0 would be overlong below 90; F4 above 8F would exceed U+10FFFF.
    const unsigned char lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in(byte(pos + 1), lo, hi) && in(byte(pos + 2), 0x80, 0xBF) && in(byte(pos + 3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = valid_sequence_length(text, pos);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++pos;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

std::string truncate_chars(std::string_view text, std::size_t max_chars) {
  std::size_t pos = 0;
  std::size_t chars = 0;
  while (pos < text.size() && chars < max_chars) {
    const std::size_t length = valid_sequence_length(text, pos);
    if (length == 0) break;  // never copy invalid bytes into a message
    pos += length;
    ++chars;
  }
  std::string out(text.substr(0, pos));
  if (pos < text.size()) out += "\xE2\x80\xA6";  // …
  return out;
}

}  // namespace detail

}  // namespace outloud::protocol
