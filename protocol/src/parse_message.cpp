// parse_message_json: reads back a MESSAGE the server serialized (stores and the bus keep them as JSON).
#include "outloud/protocol/parse_message.hpp"

#include <rapidjson/document.h>

#include "small_document.hpp"

namespace outloud::protocol {

namespace {

std::optional<std::string> string_member(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return std::nullopt;
  std::string text(member->value.GetString(), member->value.GetStringLength());
  if (!is_valid_utf8(text)) return std::nullopt;
  return text;
}

std::optional<std::int64_t> integer_member(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsInt64()) return std::nullopt;
  return member->value.GetInt64();
}

// An optional member: nullptr when it is absent or null.
const rapidjson::Value* nullable_member(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || member->value.IsNull()) return nullptr;
  return &member->value;
}

std::optional<User> user_member(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsObject()) return std::nullopt;
  auto id = string_member(member->value, "id");
  auto display = string_member(member->value, "name");
  auto org = string_member(member->value, "org");
  if (!id || !display || !org) return std::nullopt;
  const auto guest = member->value.FindMember("guest");
  const bool is_guest = guest != member->value.MemberEnd() && guest->value.IsBool() && guest->value.GetBool();
  return User{std::move(*id), std::move(*display), std::move(*org), is_guest};
}

}  // namespace

std::optional<Message> parse_message_json(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  detail::SmallDocument small;
  rapidjson::Document& document = small.get();
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  const rapidjson::Value& root = document;  // const: its iterators compare without C++20 ambiguity
  if (const auto type = root.FindMember("type"); type != root.MemberEnd()) {
    if (!type->value.IsString() || std::string_view(type->value.GetString(), type->value.GetStringLength()) != "message") {
      return std::nullopt;
    }
  }

  Message message;
  auto room = string_member(document, "room");
  auto seq = integer_member(document, "seq");
  auto ts = integer_member(document, "ts");
  auto from = user_member(document, "from");
  auto body = string_member(document, "text");
  if (!room || !seq || !ts || !from || !body) return std::nullopt;
  message.room = std::move(*room);
  message.seq = *seq;
  message.ts = *ts;
  message.from = std::move(*from);
  message.text = std::move(*body);

  if (document.HasMember("topic")) {
    auto topic = string_member(document, "topic");
    if (!topic) return std::nullopt;
    message.topic = std::move(*topic);
  }
  if (const rapidjson::Value* tag = nullable_member(document, "tag")) {
    if (!tag->IsString()) return std::nullopt;
    message.tag = tag_from(std::string_view(tag->GetString(), tag->GetStringLength()));
    if (!message.tag) return std::nullopt;
  }
  if (const rapidjson::Value* reply_to = nullable_member(document, "reply_to")) {
    if (!reply_to->IsInt64()) return std::nullopt;
    message.reply_to = reply_to->GetInt64();
  }
  if (nullable_member(document, "nonce") != nullptr) {
    message.nonce = string_member(document, "nonce");
    if (!message.nonce) return std::nullopt;
  }
  if (const rapidjson::Value* edited_at = nullable_member(document, "edited_at")) {
    if (!edited_at->IsInt64()) return std::nullopt;
    message.edited_at = edited_at->GetInt64();
  }
  if (const rapidjson::Value* deleted = nullable_member(document, "deleted")) {
    if (!deleted->IsObject()) return std::nullopt;
    auto at = integer_member(*deleted, "at");
    auto by = user_member(*deleted, "by");
    if (!at || !by) return std::nullopt;
    message.deleted = Deletion{*at, std::move(*by), string_member(*deleted, "reason")};
  }
  return message;
}

}  // namespace outloud::protocol
