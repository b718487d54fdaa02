// Typed, validated access to the fields of one JSON object of a client frame.
// Each getter either returns a value that satisfies the rule it names or throws InvalidFrame with a
// message that names the field and the rule; parse_client_frame turns that into a bad_request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>

namespace outloud::protocol::detail {

struct InvalidFrame {
  std::string message;
};

[[noreturn]] void reject(std::string message);

inline constexpr std::int64_t kMaxSafeInteger = 9007199254740992;  // 2^53: the largest exact JSON integer
inline constexpr std::string_view kSlugRule = "[a-z0-9][a-z0-9._~-]{0,63}";

// A string value that must be valid UTF-8 (RapidJSON lets a lone \uDC00 escape through).
std::string_view checked_string(const rapidjson::Value& value, std::string_view what);

struct Length {
  std::size_t min;
  std::size_t max;
};

// How find() looks for a field. `serialized_order`: each search starts after the field found
// last, so reading the fields in the order the writer wrote them takes one comparison each (the
// server frames the clients read, one per delivery). With a name given twice in an object, which
// one it finds is then unspecified (each is validated all the same).
enum class Lookup { first_match, serialized_order };

class FieldReader {
 public:
  // `path` prefixes field names in messages, e.g. "items[2]." for the fields of an agenda item.
  explicit FieldReader(const rapidjson::Value& object, std::string path = {}, Lookup lookup = Lookup::first_match)
      : object_(object), path_(std::move(path)), lookup_(lookup) {}

  std::string label(const char* name) const;  // "field 'items[2].title'"
  const std::string& path() const { return path_; }
  Lookup lookup() const { return lookup_; }

  // The field's value, or nullptr when it is absent. `null` counts as absent for optional fields.
  const rapidjson::Value* find(const char* name) const;
  const rapidjson::Value& require(const char* name) const;
  bool present(const char* name) const;  // present and not null

  std::string string(const char* name, Length length) const;
  std::optional<std::string> optional_string(const char* name, Length length) const;
  std::string slug(const char* name) const;
  std::string room() const { return slug("room"); }
  std::string user_id(const char* name) const;
  std::string display_name(const char* name) const;
  // The same rules, the value left in the document (no copy): valid while the document lives.
  std::string_view text(const char* name, Length length) const;
  std::string_view slug_text(const char* name) const;
  std::string_view user_id_text(const char* name) const;
  std::string_view display_name_text(const char* name) const;
  std::optional<std::string_view> optional_text(const char* name, Length length) const;  // null: absent

  std::int64_t integer(const char* name, std::int64_t min, std::int64_t max) const;
  std::optional<std::int64_t> optional_integer(const char* name, std::int64_t min, std::int64_t max) const;

  bool boolean(const char* name) const;
  std::optional<bool> optional_boolean(const char* name) const;

  const rapidjson::Value& array(const char* name, std::size_t min_items, std::size_t max_items) const;

 private:
  std::string_view text_of(const rapidjson::Value& value, const char* name, Length length) const;
  std::int64_t integer_of(const rapidjson::Value& value, const char* name, std::int64_t min, std::int64_t max) const;

  const rapidjson::Value& object_;
  std::string path_;
  Lookup lookup_;
  mutable rapidjson::SizeType next_ = 0;  // serialized_order: where the next search starts
};

// Rule checks on already extracted values, shared by field and array-element validation.
std::string checked_length(std::string_view text, Length length, std::string_view what);
std::string_view checked_length_view(std::string_view text, Length length, std::string_view what);
std::int64_t checked_integer(const rapidjson::Value& value, std::int64_t min, std::int64_t max,
                             std::string_view what);
bool is_valid_display_name(std::string_view name);  // no control characters, not only whitespace

}  // namespace outloud::protocol::detail
