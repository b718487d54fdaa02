// The frames that correct, remove and find messages: parsing, MESSAGE's edited/deleted members
// written and read back, and the replies' shapes.
#include <string>

#include <catch2/catch.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/parse_message.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "parse_expectations.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_message_changes_test {

using namespace outloud::protocol;
using Catch::Matchers::Contains;
using outloud::testing::accepted_as;
using outloud::testing::refused_naming;

TEST_CASE("edit, delete and remove_message", "[protocol]") {
  const auto edit = accepted_as<Edit>(R"({"type":"edit","id":"f","room":"r","seq":7,"text":"fixed"})");
  CHECK(edit.room == "r");
  CHECK(edit.seq == 7);
  CHECK(edit.text == "fixed");
  refused_naming(R"({"type":"edit","id":"f","room":"r","seq":0,"text":"x"})", "seq");
  refused_naming(R"({"type":"edit","id":"f","room":"r","seq":"7","text":"x"})", "seq");
  refused_naming(R"({"type":"edit","id":"f","room":"r","text":"x"})", "seq");
  refused_naming(R"({"type":"edit","id":"f","room":"r","seq":1,"text":""})", "text");
  refused_naming(R"({"type":"edit","id":"f","room":"R!","seq":1,"text":"x"})", "room");
  // The same length limit as send.
  auto too_long = parse_client_frame(R"({"type":"edit","id":"f","room":"r","seq":1,"text":"abcd"})", ParseLimits{3});
  CHECK(std::holds_alternative<FrameError>(too_long));

  const auto remove = accepted_as<Delete>(R"({"type":"delete","room":"r","seq":3})");
  CHECK(remove.seq == 3);
  refused_naming(R"({"type":"delete","id":"f","room":"r"})", "seq");

  const auto moderation =
      accepted_as<RemoveMessage>(R"({"type":"remove_message","room":"r","seq":2,"reason":"personal data"})");
  CHECK(moderation.reason == "personal data");
  refused_naming(R"({"type":"remove_message","id":"f","room":"r","seq":2})", "reason");
  refused_naming(R"({"type":"remove_message","id":"f","room":"r","seq":2,"reason":"   "})", "reason");
  refused_naming(R"({"type":"remove_message","id":"f","room":"r","seq":2,"reason":")" + std::string(501, 'x') + "\"}",
                 "reason");
  // `remove` stays the access.md frame that removes a member.
  CHECK(accepted_as<RemoveMember>(R"({"type":"remove","room":"r","user":"u"})").user == "u");
}

TEST_CASE("changes and search", "[protocol]") {
  const auto changes = accepted_as<Changes>(R"({"type":"changes","room":"r","since":4})");
  CHECK(changes.since == 4);
  CHECK(changes.limit == 100);
  CHECK_FALSE(accepted_as<Changes>(R"({"type":"changes","room":"r"})").since.has_value());
  refused_naming(R"({"type":"changes","id":"f","room":"r","since":-1})", "since");
  refused_naming(R"({"type":"changes","id":"f","room":"r","limit":201})", "limit");

  const auto search = accepted_as<Search>(R"({"type":"search","room":"r","query":"  budget  \"plan\" OR* ","before":9})");
  CHECK(search.before == 9);
  CHECK(search.limit == 20);
  CHECK(search_terms(search.query) == std::vector<std::string>{"budget", "\"plan\"", "OR*"});
  refused_naming(R"({"type":"search","id":"f","room":"r","query":"   "})", "query");
  // Control characters separate words: a NUL inside a term cut the full-text query short (internal error).
  refused_naming(R"({"type":"search","id":"f","room":"r","query":"\u0000"})", "query");
  CHECK(search_terms(std::string("plan\0b\x1f" "c\x7f", 9)) == std::vector<std::string>{"plan", "b", "c"});
  refused_naming(R"({"type":"search","id":"f","room":"r","query":""})", "query");
  refused_naming(R"({"type":"search","id":"f","room":"r","query":"a b c d e f g h i j k"})", "query");
  refused_naming(R"({"type":"search","id":"f","room":"r","query":")" + std::string(201, 'x') + "\"}", "query");
  refused_naming(R"({"type":"search","id":"f","room":"r","query":"x","limit":51})", "limit");
  refused_naming(R"({"type":"search","id":"f","room":"r","query":"x","before":0})", "before");
  refused_naming(R"({"type":"search","id":"f","query":"x"})", "room");
}

TEST_CASE("an edited and a removed MESSAGE are written and read back", "[protocol]") {
  Message message;
  message.room = "r";
  message.seq = 5;
  message.ts = 1000;
  message.from = User{"u1", "Ann", "essex"};
  message.text = "corrected";
  message.edited_at = 2000;
  const std::string edited = message_json(message);
  CHECK_THAT(edited, Contains(R"("edited_at":2000)"));
  CHECK_THAT(edited, !Contains("deleted"));
  CHECK(parse_message_json(edited) == message);

  message.text.clear();
  message.deleted = Deletion{3000, User{"m1", "Mo", "police"}, std::string("off topic")};
  const std::string removed = message_json(message);
  CHECK_THAT(removed, Contains(R"("deleted":{"at":3000,"by":{"id":"m1","name":"Mo","org":"police"},"reason":"off topic"})"));
  CHECK(parse_message_json(removed) == message);

  const std::string event = changed_frame(std::nullopt, "r", 12, message);
  CHECK_THAT(event, Contains(R"({"type":"changed","room":"r","version":12,"message":{"type":"message")"));
  const std::string page = changes_frame(RequestId{std::int64_t{3}}, "r", 12, {message}, true);
  CHECK_THAT(page, Contains(R"({"type":"changes","re":3,"room":"r","version":12,"messages":[)"));
  CHECK_THAT(page, Contains(R"("more":true})"));
  const std::string found = found_frame(RequestId{std::string("s")}, "r", "budget", {}, std::nullopt);
  CHECK(found == R"({"type":"found","re":"s","room":"r","query":"budget","messages":[],"next":null})");
  CHECK_THAT(found_frame(std::nullopt, "r", "q", {}, 40, 1000), Contains(R"("next":40,"scanned":1000})"));
}

}  // namespace protocol_message_changes_test
