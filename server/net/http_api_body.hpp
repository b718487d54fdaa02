// Strict JSON bodies of the /api endpoints: an object of known string fields, nothing else.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace outloud::net {

struct ApiBody {
  std::map<std::string, std::string, std::less<>> fields;
  std::optional<std::string> error;  // why the body was refused (a 400)

  std::string take(std::string_view name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : std::move(it->second);
  }
  std::optional<std::string> take_optional(std::string_view name) {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return std::move(it->second);
  }
};

// Parses `text` as a JSON object whose members are all among `required` and `optional`, each a
// string of at most `max_field_chars` bytes, each at most once, with every `required` one present.
ApiBody parse_api_body(std::string_view text, std::initializer_list<std::string_view> required,
                       std::initializer_list<std::string_view> optional = {}, std::size_t max_field_bytes = 1024);

// The value of `name` in a query string ("a=1&b=2"), undecoded; nullopt if absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

}  // namespace outloud::net
