// Reading fields of a server frame (RapidJSON) without trusting its shape: a missing or
// mistyped field reads as absent. Shared by `outloud` and `outloud-bench`.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outloud::client {

inline const rapidjson::Value* get_member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

inline std::string_view get_string(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  if (!value || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

inline std::optional<std::int64_t> get_int(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  if (!value || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

inline bool get_bool(const rapidjson::Value& object, const char* key) {
  const auto* value = get_member(object, key);
  return value && value->IsBool() && value->GetBool();
}

}  // namespace outloud::client
