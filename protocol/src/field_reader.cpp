#include "field_reader.hpp"

#include <algorithm>
#include <cstring>

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
  return std::string(checked_length_view(text, length, what));
}

std::string_view checked_length_view(std::string_view text, Length length, std::string_view what) {
  const std::size_t chars = utf8_length(text);
  if (chars < length.min || chars > length.max) {
    if (length.min == length.max) {
      reject(std::string(what) + " must be " + std::to_string(length.min) + " characters");
    }
    reject(std::string(what) + " must be " + std::to_string(length.min) + " to " + std::to_string(length.max) +
           " characters long");
  }
  return text;
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
  if (lookup_ == Lookup::serialized_order) {
    const std::size_t length = std::strlen(name);
    const rapidjson::SizeType count = object_.MemberCount();
    const auto first = object_.MemberBegin();
    for (rapidjson::SizeType step = 0, at = next_; step < count; ++step, at = at + 1 == count ? 0 : at + 1) {
      const auto& member = first[at];
      if (member.name.GetStringLength() == length && std::memcmp(member.name.GetString(), name, length) == 0) {
        next_ = at + 1 == count ? 0 : at + 1;
        return &member.value;
      }
    }
    return nullptr;
  }
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

std::string FieldReader::string(const char* name, Length length) const { return std::string(text(name, length)); }

std::string_view FieldReader::text(const char* name, Length length) const { return text_of(require(name), name, length); }

std::string_view FieldReader::text_of(const rapidjson::Value& value, const char* name, Length length) const {
  // Labels are made only for a refusal: reading a valid frame costs no allocation.
  if (!value.IsString()) checked_string(value, label(name));
  const std::string_view text(value.GetString(), value.GetStringLength());
  if (!is_valid_utf8(text)) checked_string(value, label(name));
  // A code point takes 1 to 4 bytes: the byte count often settles the rule without counting.
  const bool surely_within = text.size() <= length.max && (text.size() + 3) / 4 >= length.min;
  if (!surely_within) {
    const std::size_t chars = utf8_length(text);
    if (chars < length.min || chars > length.max) checked_length_view(text, length, label(name));
  }
  return text;
}

std::optional<std::string> FieldReader::optional_string(const char* name, Length length) const {
  const rapidjson::Value* value = find(name);
  if (value == nullptr || value->IsNull()) return std::nullopt;
  return std::string(text_of(*value, name, length));
}

std::optional<std::string_view> FieldReader::optional_text(const char* name, Length length) const {
  const rapidjson::Value* value = find(name);
  if (value == nullptr || value->IsNull()) return std::nullopt;
  return text_of(*value, name, length);
}

std::string FieldReader::slug(const char* name) const { return std::string(slug_text(name)); }

std::string_view FieldReader::slug_text(const char* name) const {
  const rapidjson::Value& value = require(name);
  if (!value.IsString()) checked_string(value, label(name));
  const std::string_view text(value.GetString(), value.GetStringLength());
  if (!is_valid_slug(text)) reject(label(name) + " must match " + std::string(kSlugRule));
  return text;
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

std::string FieldReader::user_id(const char* name) const { return std::string(user_id_text(name)); }

std::string_view FieldReader::user_id_text(const char* name) const {
  const std::string_view id = text(name, kUserIdLength);
  if (has_ascii_control(id)) reject(label(name) + " must not contain control characters");
  return id;
}

std::string FieldReader::display_name(const char* name) const { return std::string(display_name_text(name)); }

std::string_view FieldReader::display_name_text(const char* name) const {
  const std::string_view name_text = text(name, kUserNameLength);
  if (!is_valid_display_name(name_text)) {
    reject(label(name) + " must not be only whitespace nor contain control characters");
  }
  return name_text;
}

std::int64_t FieldReader::integer(const char* name, std::int64_t min, std::int64_t max) const {
  return integer_of(require(name), name, min, max);
}

std::int64_t FieldReader::integer_of(const rapidjson::Value& value, const char* name, std::int64_t min,
                                     std::int64_t max) const {
  if (value.IsInt64() && value.GetInt64() >= min && value.GetInt64() <= max) return value.GetInt64();
  return checked_integer(value, min, max, label(name));  // refuses, naming the field
}

std::optional<std::int64_t> FieldReader::optional_integer(const char* name, std::int64_t min,
                                                          std::int64_t max) const {
  const rapidjson::Value* value = find(name);
  if (value == nullptr || value->IsNull()) return std::nullopt;
  return integer_of(*value, name, min, max);
}

bool FieldReader::boolean(const char* name) const {
  const rapidjson::Value& value = require(name);
  if (!value.IsBool()) reject(label(name) + " must be true or false");
  return value.GetBool();
}

std::optional<bool> FieldReader::optional_boolean(const char* name) const {
  const rapidjson::Value* value = find(name);
  if (value == nullptr || value->IsNull()) return std::nullopt;
  if (!value->IsBool()) reject(label(name) + " must be true or false");
  return value->GetBool();
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

std::string trim_blank(std::string_view text) {
  if (!is_valid_utf8(text)) return std::string(text);  // not text: nothing is blank in it
  std::size_t first = std::string_view::npos;  // where the first non-blank code point starts
  std::size_t end = 0;                         // where the last non-blank code point ends
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    if (detail::is_blank(detail::next_code_point(text, pos))) continue;
    if (first == std::string_view::npos) first = start;
    end = pos;
  }
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, end - first));
}

}  // namespace outloud::protocol
