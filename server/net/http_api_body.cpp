#include "server/net/http_api_body.hpp"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace outloud::net {

ApiBody parse_api_body(std::string_view text, std::initializer_list<std::string_view> required,
                       std::initializer_list<std::string_view> optional, std::size_t max_field_bytes) {
  ApiBody body;
  rapidjson::Document document;
  // Strict: valid UTF-8, no comments, no trailing commas, no NaN; the whole text one value.
  document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    body.error = std::string("the body is not valid JSON: ") + rapidjson::GetParseError_En(document.GetParseError());
    return body;
  }
  if (!document.IsObject()) {
    body.error = "the body must be a JSON object";
    return body;
  }
  auto known = [&](std::string_view name) {
    return std::find(required.begin(), required.end(), name) != required.end() ||
           std::find(optional.begin(), optional.end(), name) != optional.end();
  };
  for (const auto& member : document.GetObject()) {
    const std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (!known(name)) {
      body.error = "unknown field '" + std::string(name.substr(0, 64)) + "'";
      return body;
    }
    if (!member.value.IsString()) {
      body.error = "'" + std::string(name) + "' must be a string";
      return body;
    }
    if (member.value.GetStringLength() > max_field_bytes) {
      body.error = "'" + std::string(name) + "' is too long";
      return body;
    }
    if (!body.fields.emplace(std::string(name), std::string(member.value.GetString(), member.value.GetStringLength()))
             .second) {
      body.error = "'" + std::string(name) + "' is given twice";
      return body;
    }
  }
  for (const auto name : required) {
    if (!body.fields.count(name)) {
      body.error = "'" + std::string(name) + "' is required";
      return body;
    }
  }
  return body;
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace outloud::net
