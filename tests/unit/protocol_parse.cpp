// Client frame parser: session, room and message frames, ids, and malformed input.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "outloud/protocol/client_frames.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_parse_test {

using namespace outloud::protocol;
using Catch::Matchers::Contains;

namespace {

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

ClientFrame accepted(const std::string& text, const ParseLimits& limits = {}) {
  auto result = parse_client_frame(text, limits);
  if (const auto* error = std::get_if<FrameError>(&result)) {
    FAIL("refused " << text << ": " << error->message);
  }
  return std::get<ClientFrame>(std::move(result));
}

template <typename Body>
Body accepted_as(const std::string& text, const ParseLimits& limits = {}) {
  ClientFrame frame = accepted(text, limits);
  REQUIRE(std::holds_alternative<Body>(frame.body));
  return std::get<Body>(std::move(frame.body));
}

FrameError refused(const std::string& text, const ParseLimits& limits = {}) {
  auto result = parse_client_frame(text, limits);
  if (std::holds_alternative<ClientFrame>(result)) FAIL("accepted " << text);
  FrameError error = std::get<FrameError>(std::move(result));
  CHECK(error.code == ErrorCode::bad_request);
  CHECK_FALSE(error.message.empty());
  return error;
}

// Refused, with the field named in the message and the request id echoed.
void refused_naming(const std::string& text, const std::string& field) {
  INFO(text);
  const FrameError error = refused(text);
  CHECK_THAT(error.message, Contains("'" + field));
  REQUIRE(error.id.has_value());
  CHECK(*error.id == RequestId{std::int64_t{1}});
}

}  // namespace

TEST_CASE("request ids: strings and integers up to 2^53", "[protocol]") {
  CHECK(accepted(R"({"type":"ping","id":9})").id == RequestId{std::int64_t{9}});
  CHECK(accepted(R"({"type":"ping","id":"abc"})").id == RequestId{std::string("abc")});
  CHECK(accepted(R"({"type":"ping","id":9007199254740992})").id == RequestId{std::int64_t{9007199254740992}});
  CHECK(accepted(R"({"type":"ping","id":-9007199254740992})").id == RequestId{std::int64_t{-9007199254740992}});
  CHECK(accepted(R"({"type":"ping","id":0})").id == RequestId{std::int64_t{0}});
  CHECK(accepted(R"({"type":"ping","id":""})").id == RequestId{std::string()});  // a string, if empty
  CHECK_FALSE(accepted(R"({"type":"ping"})").id.has_value());
  CHECK(accepted(R"({"type":"ping","id":")" + repeat("é", 1024) + "\"}").id.has_value());

  for (const char* bad : {R"({"type":"ping","id":9007199254740993})", R"({"type":"ping","id":1.5})",
                          R"({"type":"ping","id":1.0})", R"({"type":"ping","id":1e3})",
                          R"({"type":"ping","id":18446744073709551616})", R"({"type":"ping","id":-1e2})",
                          R"({"type":"ping","id":null})", R"({"type":"ping","id":true})",
                          R"({"type":"ping","id":[1]})", R"({"type":"ping","id":{}})"}) {
    INFO(bad);
    const FrameError error = refused(bad);
    CHECK_FALSE(error.id.has_value());
    CHECK_THAT(error.message, Contains("'id'"));
  }
  // Too long to keep, but readable: the refusal answers it.
  const FrameError too_long = refused(R"({"type":"ping","id":")" + repeat("x", 1025) + "\"}");
  CHECK(too_long.id == RequestId{repeat("x", 1025)});
  CHECK_THAT(too_long.message, Contains("at most 1024 characters"));
}

TEST_CASE("errors echo the request id once it could be read", "[protocol]") {
  CHECK(refused(R"({"id":7})").id == RequestId{std::int64_t{7}});
  CHECK(refused(R"({"id":"r1","type":"nope"})").id == RequestId{std::string("r1")});
  CHECK(refused(R"({"type":"join","id":"r2","room":"Bad Room"})").id == RequestId{std::string("r2")});
  CHECK_FALSE(refused(R"([{"id":1}])").id.has_value());
  CHECK_FALSE(refused(R"({"id":1,)").id.has_value());
}

TEST_CASE("malformed frames are bad_request", "[protocol]") {
  CHECK_THAT(refused("not json").message, Contains("not valid JSON"));
  refused("");
  refused("   ");
  refused("{");
  refused(R"({"type":"ping"} {"type":"ping"})");
  refused(R"({"type":"ping"})" + std::string(1, '\0') + "junk");
  refused(std::string(R"({"type":"ping","id":"a)") + '\0' + "b\"}");
  CHECK_THAT(refused("[]").message, Contains("object"));
  CHECK_THAT(refused(R"([{"type":"ping"}])").message, Contains("object"));
  refused("42");
  refused(R"("ping")");
  refused("null");
  CHECK_THAT(refused("{}").message, Contains("'type'"));
  CHECK_THAT(refused(R"({"type":5})").message, Contains("'type'"));
  CHECK_THAT(refused(R"({"type":null})").message, Contains("'type'"));
  CHECK_THAT(refused(R"({"type":"launch"})").message, Contains("unknown frame type 'launch'"));
  CHECK_THAT(refused(R"({"type":"PING"})").message, Contains("unknown"));
  // The echoed type is cut short so a huge value cannot blow up the error.
  CHECK(refused(R"({"type":")" + repeat("z", 10000) + "\"}").message.size() < 200);
  // Trailing commas, comments, NaN, single quotes: not JSON.
  refused(R"({"type":"ping",})");
  refused(R"({"type":"ping"} // hi)");
  refused(R"({'type':'ping'})");
  refused(R"({"type":"join","room":"a","since":NaN})");
}

TEST_CASE("deep nesting is refused quickly without exhausting the stack", "[protocol]") {
  const auto started = std::chrono::steady_clock::now();
  CHECK_THAT(refused(std::string(100000, '[')).message, Contains("deeper"));
  refused(std::string(100000, '{'));
  refused(std::string(50000, '[') + std::string(50000, ']'));
  refused(R"({"type":"ping","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}");
  refused(R"({"type":"ping","x":)" + repeat(R"({"a":)", 50000) + "1" + std::string(50000, '}') + "}");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  // Brackets inside strings do not count; moderate nesting in ignored fields is fine.
  accepted(R"({"type":"ping","x":")" + std::string(1000, '[') + "\"}");
  accepted(R"({"type":"ping","x":[[[[[[1]]]]]]})");
}

TEST_CASE("invalid UTF-8 is refused", "[protocol]") {
  refused("{\"type\":\"ping\",\"id\":\"\xff\"}");
  refused("{\"type\":\"send\",\"room\":\"a\",\"text\":\"\xc3\x28\"}");          // bad continuation
  refused("{\"type\":\"send\",\"room\":\"a\",\"text\":\"\xc0\xaf\"}");          // overlong
  refused("{\"type\":\"send\",\"room\":\"a\",\"text\":\"\xed\xa0\x80\"}");      // encoded surrogate
  refused("{\"type\":\"send\",\"room\":\"a\",\"text\":\"\xf4\x90\x80\x80\"}");  // above U+10FFFF
  refused("{\"type\":\"send\",\"room\":\"a\",\"text\":\"abc\xe2\x82\"}");       // truncated
  // Escapes: a lone surrogate, high or low, is not a character.
  refused(R"({"type":"send","room":"a","text":"\ud800"})");
  refused(R"({"type":"send","room":"a","text":"\udc00"})");
  CHECK(accepted_as<Send>(R"({"type":"send","room":"a","text":"\ud83d\ude00"})").text == "\xF0\x9F\x98\x80");
}

TEST_CASE("unknown fields are ignored", "[protocol]") {
  const auto join = accepted_as<Join>(R"({"type":"join","room":"a","future":{"x":[1,2]},"v":2})");
  CHECK(join.room == "a");
}

TEST_CASE("hello", "[protocol]") {
  const auto open = accepted_as<Hello>(R"({"type":"hello","id":1,"name":"Paul Ashworth","org":"essex-cc"})");
  CHECK(open.name == "Paul Ashworth");
  CHECK(open.org == "essex-cc");
  CHECK_FALSE(open.token.has_value());
  const auto jwt = accepted_as<Hello>(R"({"type":"hello","id":1,"token":"aaa.bbb.ccc"})");
  CHECK(jwt.token == "aaa.bbb.ccc");
  CHECK_FALSE(jwt.name.has_value());

  CHECK(accepted_as<Hello>(R"({"type":"hello","name":")" + repeat("é", 80) + R"(","org":"o"})").name ==
        repeat("é", 80));
  CHECK(accepted_as<Hello>(R"({"type":"hello","name":")" + repeat("😀", 80) + R"(","org":"o"})").name ==
        repeat("😀", 80));
  refused_naming(R"({"type":"hello","id":1,"name":")" + repeat("é", 81) + R"(","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"   ","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"\u00a0\u3000\t","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"a\nb","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"a\u0000b","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"a\u0085b","org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":7,"org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"name":"Paul","org":"Essex"})", "org");
  refused_naming(R"({"type":"hello","id":1,"name":"Paul","org":"-essex"})", "org");
  refused_naming(R"({"type":"hello","id":1,"name":"Paul","org":")" + repeat("a", 65) + "\"}", "org");
  refused_naming(R"({"type":"hello","id":1,"name":"Paul"})", "org");
  refused_naming(R"({"type":"hello","id":1,"org":"o"})", "name");
  refused_naming(R"({"type":"hello","id":1,"token":""})", "token");
  refused_naming(R"({"type":"hello","id":1,"token":5})", "token");
  // accounts mode: no credentials in the frame, the upgrade's cookie carries them (the hub decides).
  const auto cookie = accepted_as<Hello>(R"({"type":"hello","id":1})");
  CHECK_FALSE(cookie.token.has_value());
  CHECK_FALSE(cookie.name.has_value());
  CHECK_FALSE(cookie.org.has_value());
}

TEST_CASE("ping, rooms, status", "[protocol]") {
  accepted_as<Ping>(R"({"type":"ping","id":9})");
  accepted_as<ListRooms>(R"({"type":"rooms","id":3})");
  CHECK(accepted_as<Status>(R"({"type":"status","state":"away"})").state == PresenceState::away);
  CHECK(accepted_as<Status>(R"({"type":"status","state":"online"})").state == PresenceState::online);
  refused_naming(R"({"type":"status","id":1,"state":"busy"})", "state");
  refused_naming(R"({"type":"status","id":1,"state":1})", "state");
  refused_naming(R"({"type":"status","id":1})", "state");
}

TEST_CASE("create", "[protocol]") {
  const auto create =
      accepted_as<Create>(R"({"type":"create","id":2,"room":"housing","title":"Affordable housing","kind":"session"})");
  CHECK(create.room == "housing");
  CHECK(create.title == "Affordable housing");
  CHECK(create.kind == RoomKind::session);
  const auto defaults = accepted_as<Create>(R"({"type":"create","room":"a.b_c~d-e9"})");
  CHECK(defaults.title == "a.b_c~d-e9");
  CHECK(defaults.kind == RoomKind::room);
  accepted_as<Create>(R"({"type":"create","room":")" + repeat("a", 64) + "\"}");
  accepted_as<Create>(R"({"type":"create","room":"r","title":")" + repeat("é", 200) + "\"}");

  CHECK_THAT(refused(R"({"type":"create","room":"Housing"})").message,
             Contains("field 'room' must match [a-z0-9][a-z0-9._~-]{0,63}"));
  refused_naming(R"({"type":"create","id":1,"room":")" + repeat("a", 65) + "\"}", "room");
  refused_naming(R"({"type":"create","id":1,"room":"_a"})", "room");
  refused_naming(R"({"type":"create","id":1,"room":""})", "room");
  refused_naming(R"({"type":"create","id":1,"room":"a b"})", "room");
  refused_naming(R"({"type":"create","id":1,"room":"caf\u00e9"})", "room");
  refused_naming(R"({"type":"create","id":1,"room":1})", "room");
  refused_naming(R"({"type":"create","id":1})", "room");
  refused_naming(R"({"type":"create","id":1,"room":"r","title":""})", "title");
  refused_naming(R"({"type":"create","id":1,"room":"r","title":")" + repeat("é", 201) + "\"}", "title");
  refused_naming(R"({"type":"create","id":1,"room":"r","title":[]})", "title");
  refused_naming(R"({"type":"create","id":1,"room":"r","kind":"breakout"})", "kind");
  refused_naming(R"({"type":"create","id":1,"room":"r","kind":"hall"})", "kind");
  refused_naming(R"({"type":"create","id":1,"room":"r","kind":true})", "kind");
}

TEST_CASE("join, leave", "[protocol]") {
  const auto join = accepted_as<Join>(R"({"type":"join","id":4,"room":"housing","since":0,"limit":200})");
  CHECK(join.room == "housing");
  CHECK(join.since == 0);
  CHECK(join.limit == 200);
  const auto plain = accepted_as<Join>(R"({"type":"join","room":"housing"})");
  CHECK_FALSE(plain.since.has_value());
  CHECK_FALSE(plain.limit.has_value());
  CHECK(accepted_as<Join>(R"({"type":"join","room":"r","limit":1})").limit == 1);
  CHECK(accepted_as<Join>(R"({"type":"join","room":"r","since":null})").since == std::nullopt);
  CHECK(accepted_as<Join>(R"({"type":"join","room":"housing~2"})").room == "housing~2");  // a breakout group
  refused_naming(R"({"type":"join","id":1,"room":")" + repeat("p", 62) + "~12\"}", "room");

  refused_naming(R"({"type":"join","id":1,"room":"housing","since":-1})", "since");
  refused_naming(R"({"type":"join","id":1,"room":"housing","since":1.5})", "since");
  refused_naming(R"({"type":"join","id":1,"room":"housing","since":"3"})", "since");
  refused_naming(R"({"type":"join","id":1,"room":"housing","since":9007199254740993})", "since");
  refused_naming(R"({"type":"join","id":1,"room":"housing","limit":0})", "limit");
  refused_naming(R"({"type":"join","id":1,"room":"housing","limit":201})", "limit");
  refused_naming(R"({"type":"join","id":1,"room":"housing","limit":"5"})", "limit");
  refused_naming(R"({"type":"join","id":1})", "room");
  refused_naming(R"({"type":"join","id":1,"room":null})", "room");

  // Large rooms: paged presence.
  CHECK_FALSE(plain.presence_limit.has_value());
  CHECK(accepted_as<Join>(R"({"type":"join","room":"r","presence_limit":200})").presence_limit == 200);
  refused_naming(R"({"type":"join","id":1,"room":"r","presence_limit":0})", "presence_limit");
  refused_naming(R"({"type":"join","id":1,"room":"r","presence_limit":201})", "presence_limit");
  // Busy large rooms: a round of messages as one frame.
  CHECK_FALSE(plain.message_batches);
  CHECK(accepted_as<Join>(R"({"type":"join","room":"r","message_batches":true})").message_batches);
  refused_naming(R"({"type":"join","id":1,"room":"r","message_batches":1})", "message_batches");
  const auto page = accepted_as<PresencePage>(R"({"type":"presence_page","id":2,"room":"r","after":"u-1","limit":50})");
  CHECK(page.room == "r");
  CHECK(page.after == "u-1");
  CHECK(page.limit == 50);
  const auto first = accepted_as<PresencePage>(R"({"type":"presence_page","room":"r"})");
  CHECK_FALSE(first.after.has_value());
  CHECK_FALSE(first.limit.has_value());
  refused_naming(R"({"type":"presence_page","id":1})", "room");
  refused_naming(R"({"type":"presence_page","id":1,"room":"r","after":""})", "after");
  refused_naming(R"({"type":"presence_page","id":1,"room":"r","after":")" + repeat("c", 257) + "\"}", "after");
  refused_naming(R"({"type":"presence_page","id":1,"room":"r","limit":201})", "limit");

  CHECK(accepted_as<Leave>(R"({"type":"leave","id":5,"room":"housing"})").room == "housing");
  refused_naming(R"({"type":"leave","id":1})", "room");
  refused_naming(R"({"type":"leave","id":1,"room":"A"})", "room");
}

TEST_CASE("send", "[protocol]") {
  const auto send = accepted_as<Send>(
      R"({"type":"send","id":6,"room":"housing","text":"Hi \"all\"\n","topic":"budget","tag":"do","reply_to":3,"nonce":"n-1"})");
  CHECK(send.room == "housing");
  CHECK(send.text == "Hi \"all\"\n");
  CHECK(send.topic == "budget");
  CHECK(send.tag == Tag::do_);
  CHECK(send.reply_to == 3);
  CHECK(send.nonce == "n-1");
  const auto plain = accepted_as<Send>(R"({"type":"send","room":"r","text":"x"})");
  CHECK(plain.topic == "general");
  CHECK_FALSE(plain.tag.has_value());
  CHECK_FALSE(plain.reply_to.has_value());
  CHECK_FALSE(plain.nonce.has_value());
  const auto nulls = accepted_as<Send>(R"({"type":"send","room":"r","text":"x","tag":null,"reply_to":null,"nonce":null})");
  CHECK_FALSE(nulls.tag.has_value());
  CHECK_FALSE(nulls.reply_to.has_value());
  for (auto [name, tag] : {std::pair{"learn", Tag::learn}, {"do", Tag::do_}, {"reflect", Tag::reflect},
                           {"share", Tag::share}}) {
    CHECK(accepted_as<Send>(R"({"type":"send","room":"r","text":"x","tag":")" + std::string(name) + "\"}").tag == tag);
  }
  // Text length counts characters: 16000 × "é" (32000 bytes) is valid, 16001 is not.
  CHECK(accepted_as<Send>(R"({"type":"send","room":"r","text":")" + repeat("é", 16000) + "\"}").text.size() == 32000);
  refused_naming(R"({"type":"send","id":1,"room":"r","text":")" + repeat("é", 16001) + "\"}", "text");
  ParseLimits small;
  small.max_text_chars = 10;
  accepted_as<Send>(R"({"type":"send","room":"r","text":")" + repeat("😀", 10) + "\"}", small);
  refused(R"({"type":"send","room":"r","text":")" + repeat("a", 11) + "\"}", small);

  refused_naming(R"({"type":"send","id":1,"room":"r","text":""})", "text");
  refused_naming(R"({"type":"send","id":1,"room":"r"})", "text");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":5})", "text");
  refused_naming(R"({"type":"send","id":1,"text":"x"})", "room");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","topic":""})", "topic");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","topic":")" + repeat("é", 61) + "\"}", "topic");
  accepted_as<Send>(R"({"type":"send","room":"r","text":"x","topic":")" + repeat("é", 60) + "\"}");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","topic":1})", "topic");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","tag":"Learn"})", "tag");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","tag":1})", "tag");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","reply_to":0})", "reply_to");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","reply_to":"2"})", "reply_to");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","nonce":""})", "nonce");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","nonce":")" + repeat("n", 65) + "\"}", "nonce");
  accepted_as<Send>(R"({"type":"send","room":"r","text":"x","nonce":")" + repeat("é", 64) + "\"}");
  refused_naming(R"({"type":"send","id":1,"room":"r","text":"x","nonce":12})", "nonce");
}

TEST_CASE("history", "[protocol]") {
  const auto before = accepted_as<History>(R"({"type":"history","id":7,"room":"housing","before":120,"limit":50})");
  CHECK(before.before == 120);
  CHECK_FALSE(before.after.has_value());
  CHECK(before.limit == 50);
  const auto after = accepted_as<History>(R"({"type":"history","room":"housing","after":0,"limit":200})");
  CHECK(after.after == 0);
  CHECK(after.limit == 200);
  const auto latest = accepted_as<History>(R"({"type":"history","room":"housing"})");
  CHECK_FALSE(latest.before.has_value());
  CHECK_FALSE(latest.after.has_value());
  CHECK(latest.limit == 50);
  CHECK_THAT(refused(R"({"type":"history","room":"r","before":5,"after":1})").message, Contains("'before'"));
  refused_naming(R"({"type":"history","id":1,"room":"r","before":-1})", "before");
  refused_naming(R"({"type":"history","id":1,"room":"r","after":-1})", "after");
  refused_naming(R"({"type":"history","id":1,"room":"r","after":"1"})", "after");
  refused_naming(R"({"type":"history","id":1,"room":"r","limit":0})", "limit");
  refused_naming(R"({"type":"history","id":1,"room":"r","limit":201})", "limit");
  refused_naming(R"({"type":"history","id":1,"room":"r","limit":2.5})", "limit");
  refused_naming(R"({"type":"history","id":1})", "room");
}

TEST_CASE("typing", "[protocol]") {
  const auto typing = accepted_as<Typing>(R"({"type":"typing","room":"housing","topic":"general"})");
  CHECK(typing.room == "housing");
  CHECK(typing.topic == "general");
  CHECK(accepted_as<Typing>(R"({"type":"typing","room":"housing"})").topic == "general");
  refused_naming(R"({"type":"typing","id":1,"room":"housing","topic":""})", "topic");
  refused_naming(R"({"type":"typing","id":1})", "room");
}

TEST_CASE("room_of names the room a frame concerns", "[protocol]") {
  CHECK(*room_of(accepted(R"({"type":"send","room":"a","text":"x"})").body) == "a");
  CHECK(*room_of(accepted(R"({"type":"join","room":"b"})").body) == "b");
  CHECK(*room_of(accepted(R"({"type":"lock","room":"c","locked":true})").body) == "c");
  CHECK(*room_of(accepted(R"({"type":"poll","room":"d","action":"close","poll":"p1"})").body) == "d");
  CHECK(room_of(accepted(R"({"type":"ping"})").body) == nullptr);
  CHECK(room_of(accepted(R"({"type":"rooms"})").body) == nullptr);
  CHECK(room_of(accepted(R"({"type":"status","state":"away"})").body) == nullptr);
  CHECK(room_of(accepted(R"({"type":"hello","token":"t"})").body) == nullptr);
}

}  // namespace protocol_parse_test
