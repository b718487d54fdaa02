// Protocol value types: names of enumerations, identifier rules, UTF-8 helpers.
#include <catch2/catch.hpp>

#include "outloud/protocol/types.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_types_test {

using namespace outloud::protocol;

TEST_CASE("every error code has its contract name", "[protocol]") {
  const std::vector<std::pair<ErrorCode, std::string_view>> expected = {
      {ErrorCode::bad_request, "bad_request"},   {ErrorCode::unauthenticated, "unauthenticated"},
      {ErrorCode::forbidden, "forbidden"},       {ErrorCode::not_found, "not_found"},
      {ErrorCode::conflict, "conflict"},         {ErrorCode::rate_limited, "rate_limited"},
      {ErrorCode::too_large, "too_large"},       {ErrorCode::unavailable, "unavailable"},
      {ErrorCode::internal, "internal"},
  };
  REQUIRE(expected.size() == static_cast<std::size_t>(kErrorCodeCount));
  for (const auto& [code, name] : expected) CHECK(to_string(code) == name);
}

TEST_CASE("enumerations convert to and from their wire names", "[protocol]") {
  for (RoomKind kind : {RoomKind::room, RoomKind::session, RoomKind::breakout}) {
    CHECK(room_kind_from(to_string(kind)) == kind);
  }
  CHECK(to_string(RoomKind::breakout) == "breakout");
  CHECK_FALSE(room_kind_from("Room").has_value());

  CHECK(to_string(Tag::do_) == "do");
  for (Tag tag : {Tag::learn, Tag::do_, Tag::reflect, Tag::share}) CHECK(tag_from(to_string(tag)) == tag);
  CHECK_FALSE(tag_from("do_").has_value());
  CHECK_FALSE(tag_from("").has_value());

  CHECK(to_string(PresenceState::away) == "away");
  CHECK(presence_state_from("online") == PresenceState::online);
  CHECK_FALSE(presence_state_from("busy").has_value());

  CHECK(to_string(PresenceEvent::join) == "join");
  CHECK(to_string(PresenceEvent::leave) == "leave");
  CHECK(to_string(PresenceEvent::update) == "update");

  for (Role role : {Role::owner, Role::facilitator, Role::member, Role::observer}) {
    CHECK(role_from(to_string(role)) == role);
  }
  CHECK(to_string(Role::facilitator) == "facilitator");
  CHECK_FALSE(role_from("admin").has_value());
}

TEST_CASE("slugs match [a-z0-9][a-z0-9._~-]{0,63}", "[protocol]") {
  for (const char* good : {"a", "0", "essex-cc", "a.b_c~d-e", "9lives", "housing~1"}) {
    INFO(good);
    CHECK(is_valid_slug(good));
  }
  CHECK(is_valid_slug(std::string(64, 'a')));
  CHECK_FALSE(is_valid_slug(std::string(65, 'a')));
  for (const char* bad : {"", "-a", ".a", "_a", "~a", "A", "aB", "a b", "a/b", "a\n", "caf\xC3\xA9", "a:b"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_slug(bad));
  }
  CHECK_FALSE(is_valid_slug(std::string_view("a\0b", 3)));
}

TEST_CASE("utf8_length counts code points", "[protocol]") {
  CHECK(utf8_length("") == 0);
  CHECK(utf8_length("abc") == 3);
  CHECK(utf8_length("\xC3\xA9") == 1);              // é
  CHECK(utf8_length("\xE2\x82\xAC") == 1);          // €
  CHECK(utf8_length("\xF0\x9F\x98\x80") == 1);      // 😀
  CHECK(utf8_length("a\xC3\xA9\xF0\x9F\x98\x80z") == 4);
}

TEST_CASE("is_valid_utf8 follows RFC 3629", "[protocol]") {
  for (std::string_view good : {std::string_view(""), std::string_view("plain"), std::string_view("\xC3\xA9"),
                                std::string_view("\xE2\x82\xAC"), std::string_view("\xF0\x9F\x98\x80"),
                                std::string_view("\xED\x9F\xBF"),  // U+D7FF, just below the surrogates
                                std::string_view("\xEE\x80\x80"),  // U+E000, just above
                                std::string_view("\xF4\x8F\xBF\xBF"),  // U+10FFFF
                                std::string_view("a\0b", 3)}) {
    CHECK(is_valid_utf8(good));
  }
  for (std::string_view bad : {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xC3", "\xC3\x28", "\xE0\x80\x80",
                               "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xE2\x82", "\xF0\x8F\xBF\xBF",
                               "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xFE", "ok\xF0\x9F\x98"}) {
    INFO(Catch::Detail::stringify(std::string(bad)));
    CHECK_FALSE(is_valid_utf8(bad));
  }
}

}  // namespace protocol_types_test
