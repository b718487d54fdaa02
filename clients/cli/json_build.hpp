// Building the JSON text of one client frame (RapidJSON writer, so every string is escaped).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outloud::client {

class JsonObject {
 public:
  explicit JsonObject(std::string_view type) : writer_(buffer_) {
    writer_.StartObject();
    add("type", type);
  }
  JsonObject& add(std::string_view key, std::string_view value) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  JsonObject& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  JsonObject& add(std::string_view key, std::int64_t value) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.Int64(value);
    return *this;
  }
  JsonObject& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonObject& add_bool(std::string_view key, bool value) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.Bool(value);
    return *this;
  }
  JsonObject& add_null(std::string_view key) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.Null();
    return *this;
  }
  JsonObject& add_strings(std::string_view key, const std::vector<std::string_view>& values) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.StartArray();
    for (auto value : values) writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer_.EndArray();
    return *this;
  }
  JsonObject& add_ints(std::string_view key, const std::vector<int>& values) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.StartArray();
    for (int value : values) writer_.Int(value);
    writer_.EndArray();
    return *this;
  }
  std::string finish() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace outloud::client
