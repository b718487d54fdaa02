// Server frame serializers: exact shapes of the contract, escaping, and round trips through
// parse_message_json.
#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "outloud/protocol/parse_message.hpp"
#include "outloud/protocol/server_frames.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_serialize_test {

using namespace outloud::protocol;

namespace {

const User kPaul{"u-paul", "Paul Ashworth", "essex-cc"};
const std::string kPaulJson = R"({"id":"u-paul","name":"Paul Ashworth","org":"essex-cc"})";

Room housing() { return Room{"housing", "Affordable housing", RoomKind::room, "u-paul", 1700000000000, std::nullopt}; }
const std::string kHousingJson =
    R"({"id":"housing","title":"Affordable housing","kind":"room","created_by":"u-paul","created_at":1700000000000,"org":"","visibility":"open","label":"OFFICIAL","retention_days":null})";

Message sample_message() {
  Message message;
  message.room = "housing";
  message.seq = 42;
  message.ts = 1700000001234;
  message.from = kPaul;
  message.topic = "budget";
  message.text = "Hello";
  return message;
}

// Parses serializer output strictly (the same flags clients' parsers would need).
rapidjson::Document parsed(const std::string& json) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  INFO(json);
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsObject());
  return document;
}

}  // namespace

TEST_CASE("error frames omit re when there is no id", "[protocol]") {
  CHECK(error_frame(RequestId{std::int64_t{3}}, ErrorCode::not_found, "no such room") ==
        R"({"type":"error","re":3,"code":"not_found","message":"no such room"})");
  CHECK(error_frame(RequestId{std::string("a")}, ErrorCode::forbidden, "x") ==
        R"({"type":"error","re":"a","code":"forbidden","message":"x"})");
  CHECK(error_frame(std::nullopt, ErrorCode::bad_request, "frame is not valid JSON") ==
        R"({"type":"error","code":"bad_request","message":"frame is not valid JSON"})");
  for (int i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const auto document = parsed(error_frame(std::nullopt, code, "m"));
    CHECK(std::string(document["code"].GetString()) == to_string(code));
    CHECK_FALSE(document.HasMember("re"));
  }
}

TEST_CASE("re echoes the id with its JSON type", "[protocol]") {
  CHECK(pong_frame(RequestId{std::int64_t{9}}) == R"({"type":"pong","re":9})");
  CHECK(pong_frame(RequestId{std::string("9")}) == R"({"type":"pong","re":"9"})");
  CHECK(pong_frame(RequestId{std::int64_t{9007199254740992}}) == R"({"type":"pong","re":9007199254740992})");
  CHECK(pong_frame(RequestId{std::int64_t{-5}}) == R"({"type":"pong","re":-5})");
  CHECK(pong_frame(std::nullopt) == R"({"type":"pong"})");
  CHECK(pong_frame(RequestId{std::string()}) == R"({"type":"pong","re":""})");
  CHECK(ok_frame(RequestId{std::int64_t{4}}) == R"({"type":"ok","re":4})");
  CHECK(ok_frame(RequestId{std::string("q\"1")}) == R"({"type":"ok","re":"q\"1"})");
}

TEST_CASE("welcome", "[protocol]") {
  CHECK(welcome_frame(RequestId{std::int64_t{1}}, kPaul, "s-1", "node-a", 1700000000000) ==
        R"({"type":"welcome","re":1,"user":)" + kPaulJson +
            R"(,"session":"s-1","node":"node-a","server_time":1700000000000,"protocol":1})");
}

TEST_CASE("created, rooms, left", "[protocol]") {
  CHECK(created_frame(RequestId{std::int64_t{2}}, housing()) ==
        R"({"type":"created","re":2,"room":)" + kHousingJson + "}");
  Room group{"housing~1", "Affordable housing — group 1", RoomKind::breakout, "u-paul", 5, std::string("housing")};
  CHECK(room_json(group) ==
        R"({"id":"housing~1","title":"Affordable housing — group 1","kind":"breakout","created_by":"u-paul","created_at":5,"parent":"housing","org":"","visibility":"open","label":"OFFICIAL","retention_days":null})");
  // `parent` belongs to breakout rooms only.
  Room odd = housing();
  odd.parent = "other";
  CHECK(room_json(odd) == kHousingJson);
  CHECK(room_json(housing()) == kHousingJson);

  CHECK(rooms_frame(RequestId{std::int64_t{3}}, {RoomListing{housing(), 4}, RoomListing{group, 0}}) ==
        R"({"type":"rooms","re":3,"rooms":[{"id":"housing","title":"Affordable housing","kind":"room","created_by":"u-paul","created_at":1700000000000,"org":"","visibility":"open","label":"OFFICIAL","retention_days":null,"online":4,"last_seq":0,"read":0,"mentions":0},)"
        R"({"id":"housing~1","title":"Affordable housing — group 1","kind":"breakout","created_by":"u-paul","created_at":5,"parent":"housing","org":"","visibility":"open","label":"OFFICIAL","retention_days":null,"online":0,"last_seq":0,"read":0,"mentions":0}]})");
  CHECK(rooms_frame(RequestId{std::int64_t{3}}, {}) == R"({"type":"rooms","re":3,"rooms":[]})");
  CHECK(left_frame(RequestId{std::int64_t{5}}, "housing") == R"({"type":"left","re":5,"room":"housing"})");
}

TEST_CASE("joined", "[protocol]") {
  JoinedReply reply;
  reply.room = housing();
  reply.presence = {PresenceEntry{kPaul, PresenceState::away, 1700000000500}};
  reply.messages = {sample_message()};
  reply.head = 42;
  reply.recovered = true;
  reply.role = Role::owner;
  reply.session_json = R"({"hands":[],"locked":false})";
  CHECK(joined_frame(RequestId{std::int64_t{4}}, reply) ==
        R"({"type":"joined","re":4,"room":)" + kHousingJson + R"(,"presence":[{"user":)" + kPaulJson +
            R"(,"state":"away","since":1700000000500}],"messages":[)" + message_json(sample_message()) +
            R"(],"head":42,"recovered":true,"you":{"role":"owner"},"session":{"hands":[],"locked":false}})");

  JoinedReply empty;
  empty.room = housing();
  empty.session_json.clear();  // no facilitation state yet: still an object
  const auto document = parsed(joined_frame(std::nullopt, empty));
  CHECK_FALSE(document.HasMember("re"));
  CHECK(document["presence"].Empty());
  CHECK(document["messages"].Empty());
  CHECK(document["head"].GetInt64() == 0);
  CHECK_FALSE(document["recovered"].GetBool());
  CHECK(std::string(document["you"]["role"].GetString()) == "member");
  CHECK(document["session"].IsObject());
  CHECK_FALSE(document.HasMember("online"));  // the contract's joined, unless paged

  JoinedReply paged = empty;
  paged.online = 1200;
  paged.presence_next = "17";
  const auto with_page = parsed(joined_frame(std::nullopt, paged));
  CHECK(with_page["online"].GetInt() == 1200);
  CHECK(std::string(with_page["presence_next"].GetString()) == "17");
  paged.presence_next.reset();
  CHECK(parsed(joined_frame(std::nullopt, paged))["presence_next"].IsNull());
}

TEST_CASE("presence_page and presence_batch", "[protocol]") {
  CHECK(presence_page_frame(RequestId{std::int64_t{9}}, "housing",
                            {PresenceEntry{kPaul, PresenceState::online, 5}}, std::string("c2"), 3) ==
        R"({"type":"presence_page","re":9,"room":"housing","presence":[{"user":)" + kPaulJson +
            R"(,"state":"online","since":5}],"online":3,"next":"c2"})");
  CHECK(parsed(presence_page_frame(std::nullopt, "housing", {}, std::nullopt, 0))["next"].IsNull());
  const std::string change = presence_event("housing", PresenceEvent::join, kPaul, PresenceState::online);
  CHECK(presence_batch_event("housing", {change, change}, 7) ==
        R"({"type":"presence_batch","room":"housing","online":7,"changes":[)" + change + "," + change + "]}");
}

TEST_CASE("message_batch", "[protocol]") {
  const std::string one = message_event(sample_message());
  CHECK(message_batch_event("housing", {one, one}) ==
        R"({"type":"message_batch","room":"housing","messages":[)" + one + "," + one + "]}");
}

TEST_CASE("sent and history", "[protocol]") {
  CHECK(sent_frame(RequestId{std::int64_t{6}}, "housing", 42, 1700000001234) ==
        R"({"type":"sent","re":6,"room":"housing","seq":42,"ts":1700000001234})");
  Message second = sample_message();
  second.seq = 43;
  CHECK(history_frame(RequestId{std::int64_t{7}}, "housing", {sample_message(), second}) ==
        R"({"type":"history","re":7,"room":"housing","messages":[)" + message_json(sample_message()) + "," +
            message_json(second) + "]}");
  CHECK(history_frame(RequestId{std::int64_t{7}}, "housing", {}) ==
        R"({"type":"history","re":7,"room":"housing","messages":[]})");
}

TEST_CASE("message event: nulls for absent tag, reply_to, nonce", "[protocol]") {
  CHECK(message_event(sample_message()) ==
        R"({"type":"message","room":"housing","seq":42,"ts":1700000001234,"from":)" + kPaulJson +
            R"(,"topic":"budget","text":"Hello","tag":null,"reply_to":null,"nonce":null})");
  Message tagged = sample_message();
  tagged.tag = Tag::do_;
  tagged.reply_to = 41;
  tagged.nonce = "n1";
  CHECK(message_event(tagged) ==
        R"({"type":"message","room":"housing","seq":42,"ts":1700000001234,"from":)" + kPaulJson +
            R"(,"topic":"budget","text":"Hello","tag":"do","reply_to":41,"nonce":"n1"})");
  CHECK(message_json(tagged) == message_event(tagged));
}

TEST_CASE("message_event_ts reads a message event's ts, and nothing else's", "[protocol]") {
  CHECK(message_event_ts(message_event(sample_message())) == 1700000001234);
  Message tricky = sample_message();
  tricky.text = R"({"ts":1,"x":"ts"})";  // escaped inside the text: never taken for the field
  tricky.ts = 1700000009999;
  CHECK(message_event_ts(message_event(tricky)) == 1700000009999);
  CHECK(message_event_ts(R"({"type":"message","from":{"ts":5},"ts":7})") == 7);  // only the top level's
  CHECK(message_event_ts(R"({"type":"message","ts":"7"})") == std::nullopt);       // not a number
  CHECK(message_event_ts(R"({"type":"typing","room":"housing"})") == std::nullopt);
  CHECK(message_event_ts("not json") == std::nullopt);
  CHECK(message_event_ts("") == std::nullopt);
  CHECK(message_event_ts(R"({"ts":)") == std::nullopt);
}

TEST_CASE("typing and presence events", "[protocol]") {
  CHECK(typing_event("housing", kPaul, "general") ==
        R"({"type":"typing","room":"housing","user":)" + kPaulJson + R"(,"topic":"general"})");
  CHECK(presence_event("housing", PresenceEvent::join, kPaul, PresenceState::online) ==
        R"({"type":"presence","room":"housing","event":"join","user":)" + kPaulJson + R"(,"state":"online"})");
  CHECK(presence_event("housing", PresenceEvent::update, kPaul, PresenceState::away) ==
        R"({"type":"presence","room":"housing","event":"update","user":)" + kPaulJson + R"(,"state":"away"})");
  CHECK(user_json(kPaul) == kPaulJson);
}

TEST_CASE("escaping: quotes, backslashes, control characters, emoji, </script>", "[protocol]") {
  Message message = sample_message();
  message.text = std::string("say \"hi\" \\ back\n\ttab\x01\x1F end ") + '\0' + " nul 😀 </script><b>&amp;";
  message.from.name = "O'Brien \"Ed\"";
  const std::string json = message_json(message);
  CHECK(json.find(R"(say \"hi\" \\ back\n\ttab\u0001\u001F end \u0000 nul 😀 </script><b>&amp;)") != std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find('\x01') == std::string::npos);
  const auto document = parsed(json);
  CHECK(std::string(document["text"].GetString(), document["text"].GetStringLength()) == message.text);
  CHECK(parse_message_json(json) == message);
}

TEST_CASE("invalid UTF-8 handed to a serializer is repaired, never emitted", "[protocol]") {
  const std::string json = error_frame(std::nullopt, ErrorCode::internal, "bad \xFF byte \xC3");
  CHECK(is_valid_utf8(json));
  CHECK(json == "{\"type\":\"error\",\"code\":\"internal\",\"message\":\"bad \xEF\xBF\xBD byte \xEF\xBF\xBD\"}");
}

TEST_CASE("parse_message_json reads back every MESSAGE", "[protocol]") {
  Message full = sample_message();
  full.tag = Tag::reflect;
  full.reply_to = 7;
  full.nonce = "é-nonce";
  full.text = std::string(16000, 'x');
  for (const Message& message : {sample_message(), full}) {
    CHECK(parse_message_json(message_json(message)) == message);
    CHECK(parse_message_json(message_event(message)) == message);
  }
  // Taken out of a history frame's array: same value.
  const std::string history = history_frame(std::nullopt, "housing", {full});
  const auto document = parsed(history);
  CHECK(document["messages"][0]["seq"].GetInt64() == 42);

  // A bare MESSAGE object without "type", with defaults for the optional members.
  const auto bare = parse_message_json(
      R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t"})");
  REQUIRE(bare.has_value());
  CHECK(bare->topic == "general");
  CHECK_FALSE(bare->tag.has_value());
  CHECK_FALSE(bare->nonce.has_value());

  for (const char* bad : {"", "nope", "[]", R"({"type":"typing","room":"r"})",
                          R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N","org":"o"}})",
                          R"({"room":"r","seq":"1","ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t"})",
                          R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N"},"text":"t"})",
                          R"({"room":"r","seq":1,"ts":2,"from":"u","text":"t"})",
                          R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t","tag":"x"})",
                          R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t","reply_to":"1"})",
                          R"({"room":"r","seq":1,"ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t","nonce":5})",
                          R"({"room":"r","seq":1.5,"ts":2,"from":{"id":"u","name":"N","org":"o"},"text":"t"})"}) {
    INFO(bad);
    CHECK_FALSE(parse_message_json(bad).has_value());
  }
  CHECK_FALSE(parse_message_json(std::string(100000, '[')).has_value());
}

}  // namespace protocol_serialize_test
