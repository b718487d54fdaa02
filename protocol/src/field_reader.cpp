#include "field_reader.hpp"

#include <algorithm>

#include "outloud/protocol/types.hpp"
#include "utf8.hpp"

namespace outloud::protocol::detail {

namespace {

std::string range_text(std::int64_t min, std::int64_t max) {
  return "from " + std::to_string(min) + " to " + std::to_string(max);
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Unicode White_Space plus the zero-width space and BOM, which render as nothing.
bool is_blank(char32_t cp) {
  switch (cp) {
    case 0x20: case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    case 0x200B: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace

void reject(std::string message) { throw InvalidFrame{std::move(message)}; }

std::string_view checked_string(const rapidjson::Value& value, std::string_view what) {
  if (!value.IsString()) reject(std::string(what) + " must be a string");
  const std::string_view text(value.GetString(), value.GetStringLength());
  if (!is_valid_utf8(text)) reject(std::string(what) + " must be valid UTF-8 (no lone surrogate escapes)");
  return text;
}

std::string checked_length(std::string_view text, Length length, std::string_view what) {
  const std::size_t chars = utf8_length(text);
  if (chars < length.min || chars > length.max) {
    if (length.min == length.max) {
      reject(std::string(what) + " must be " + std::to_string(length.min) + " characters");
    }
    reject(std::string(what) + " must be " + std::to_string(length.min) + " to " + std::to_string(length.max) +
           " characters long");
  }
  return std::string(text);
}

std::int64_t checked_integer(const rapidjson::Value& value, std::int64_t min, std::int64_t max,
                             std::string_view what) {
  // IsInt64 is false for fractions, exponents and integers beyond int64; all are refused.
  if (!value.IsInt64() || value.GetInt64() < min || value.GetInt64() > max) {
    reject(std::string(what) + " must be an integer " + range_text(min, max));
  }
  return value.GetInt64();
}

bool is_valid_display_name(std::string_view name) {
  bool only_blank = true;
  std::size_t pos = 0;
  while (pos < name.size()) {
    const char32_t cp = next_code_point(name, pos);
    if (is_control(cp)) return false;
    if (!is_blank(cp)) only_blank = false;
  }
  return !only_blank;
}

std::string FieldReader::label(const char* name) const { return "field '" + path_ + name + "'"; }

const rapidjson::Value* FieldReader::find(const char* name) const {
  const auto member = object_.FindMember(name);
  if (member == object_.MemberEnd()) return nullptr;
  return &member->value;
}

const rapidjson::Value& FieldReader::require(const char* name) const {
  const rapidjson::Value* value = find(name);
  if (value == nullptr) reject(label(name) + " is required");
  return *value;
}

bool FieldReader::present(const char* name) const {
  const rapidjson::Value* value = find(name);
  return value != nullptr && !value->IsNull();
}

std::string FieldReader::string(const char* name, Length length) const {
  return checked_length(checked_string(require(name), label(name)), length, label(name));
}

std::optional<std::string> FieldReader::optional_string(const char* name, Length length) const {
  if (!present(name)) return std::nullopt;
  return string(name, length);
}

std::string FieldReader::slug(const char* name) const {
  const std::string_view text = checked_string(require(name), label(name));
  if (!is_valid_slug(text)) reject(label(name) + " must match " + std::string(kSlugRule));
  return std::string(text);
}

namespace {
constexpr Length kUserIdLength{1, 128};
constexpr Length kUserNameLength{1, 80};

bool has_ascii_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

bool within(std::string_view text, Length length) {
  const std::size_t chars = utf8_length(text);
  return chars >= length.min && chars <= length.max;
}
}  // namespace

std::string FieldReader::user_id(const char* name) const {
  std::string id = string(name, kUserIdLength);
  if (has_ascii_control(id)) reject(label(name) + " must not contain control characters");
  return id;
}

std::string FieldReader::display_name(const char* name) const {
  std::string text = string(name, kUserNameLength);
  if (!is_valid_display_name(text)) {
    reject(label(name) + " must not be only whitespace nor contain control characters");
  }
  return text;
}

std::int64_t FieldReader::integer(const char* name, std::int64_t min, std::int64_t max) const {
  return checked_integer(require(name), min, max, label(name));
}

std::optional<std::int64_t> FieldReader::optional_integer(const char* name, std::int64_t min,
                                                          std::int64_t max) const {
  if (!present(name)) return std::nullopt;
  return integer(name, min, max);
}

bool FieldReader::boolean(const char* name) const {
  const rapidjson::Value& value = require(name);
  if (!value.IsBool()) reject(label(name) + " must be true or false");
  return value.GetBool();
}

std::optional<bool> FieldReader::optional_boolean(const char* name) const {
  if (!present(name)) return std::nullopt;
  return boolean(name);
}

const rapidjson::Value& FieldReader::array(const char* name, std::size_t min_items, std::size_t max_items) const {
  const rapidjson::Value& value = require(name);
  if (!value.IsArray() || value.Size() < min_items || value.Size() > max_items) {
    reject(label(name) + " must be an array of " + std::to_string(min_items) + " to " + std::to_string(max_items) +
           " items");
  }
  return value;
}

}  // namespace outloud::protocol::detail

namespace outloud::protocol {

bool is_valid_user_name(std::string_view name) {
  return is_valid_utf8(name) && detail::within(name, detail::kUserNameLength) && detail::is_valid_display_name(name);
}

bool is_valid_user_id(std::string_view id) {
  return is_valid_utf8(id) && detail::within(id, detail::kUserIdLength) && !detail::has_ascii_control(id);
}

}  // namespace outloud::protocol
