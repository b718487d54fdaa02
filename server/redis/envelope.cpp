#include "server/redis/envelope.hpp"

#include <charconv>

namespace outloud::redis {

namespace {

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// Reads one "<length>:<bytes>" field off the front of `text`.
std::optional<std::string_view> take_field(std::string_view& text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return std::nullopt;
  std::size_t length = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + colon, length);
  if (error != std::errc() || end != text.data() + colon || length > text.size() - colon - 1) return std::nullopt;
  std::string_view field = text.substr(colon + 1, length);
  text.remove_prefix(colon + 1 + length);
  return field;
}

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string encode_envelope(const backend::BusEvent& event) {
  std::string out = "O1";
  switch (event.kind) {
    case backend::BusEvent::Kind::message: out += 'm'; break;
    case backend::BusEvent::Kind::event: out += 'e'; break;
    case backend::BusEvent::Kind::presence: out += 'p'; break;
    case backend::BusEvent::Kind::state: out += 's'; break;
    case backend::BusEvent::Kind::control: out += 'c'; break;
  }
  // One number field: a message's seq, or a state's version.
  append_field(out, std::to_string(event.kind == backend::BusEvent::Kind::state ? event.version : event.seq));
  append_field(out, event.exclude_user);
  append_field(out, std::to_string(event.only_users.size()));
  for (const auto& user : event.only_users) append_field(out, user);
  if (event.payload) out += *event.payload;
  return out;
}

std::optional<backend::BusEvent> decode_envelope(std::string_view text) {
  if (text.size() < 3 || text.substr(0, 2) != "O1") return std::nullopt;
  backend::BusEvent event;
  switch (text[2]) {
    case 'm': event.kind = backend::BusEvent::Kind::message; break;
    case 'e': event.kind = backend::BusEvent::Kind::event; break;
    case 'p': event.kind = backend::BusEvent::Kind::presence; break;
    case 's': event.kind = backend::BusEvent::Kind::state; break;
    case 'c': event.kind = backend::BusEvent::Kind::control; break;
    default: return std::nullopt;
  }
  text.remove_prefix(3);
  auto seq = take_field(text);
  auto exclude = seq ? take_field(text) : std::nullopt;
  auto count_text = exclude ? take_field(text) : std::nullopt;
  if (!count_text) return std::nullopt;
  auto seq_value = to_int(*seq);
  auto count = to_int(*count_text);
  if (!seq_value || !count || *count < 0 || *count > static_cast<std::int64_t>(text.size())) return std::nullopt;
  (event.kind == backend::BusEvent::Kind::state ? event.version : event.seq) = *seq_value;
  event.exclude_user = std::string(*exclude);
  event.only_users.reserve(static_cast<std::size_t>(*count));
  for (std::int64_t i = 0; i < *count; ++i) {
    auto user = take_field(text);
    if (!user) return std::nullopt;
    event.only_users.emplace_back(*user);
  }
  event.payload = std::make_shared<const std::string>(text);
  return event;
}

}  // namespace outloud::redis
