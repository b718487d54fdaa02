// Client frame parser: the facilitation frames of facilitation.md.
#include <string>

#include <catch2/catch.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "parse_expectations.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_parse_facilitation_test {

using namespace outloud::protocol;
using Catch::Matchers::Contains;
using outloud::testing::accepted_as;
using outloud::testing::refused_naming;

namespace {

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

}  // namespace

TEST_CASE("role", "[protocol]") {
  const auto role = accepted_as<SetRole>(R"({"type":"role","id":"f","room":"r","user":"u-1","role":"facilitator"})");
  CHECK(role.room == "r");
  CHECK(role.user == "u-1");
  CHECK(role.role == Role::facilitator);
  for (auto [name, value] : {std::pair{"owner", Role::owner}, {"facilitator", Role::facilitator},
                             {"member", Role::member}, {"observer", Role::observer}}) {
    CHECK(accepted_as<SetRole>(R"({"type":"role","room":"r","user":"u","role":")" + std::string(name) + "\"}").role ==
          value);
  }
  refused_naming(R"({"type":"role","id":"f","room":"r","user":"u","role":"admin"})", "role");
  refused_naming(R"({"type":"role","id":"f","room":"r","user":"u"})", "role");
  refused_naming(R"({"type":"role","id":"f","room":"r","role":"member"})", "user");
  refused_naming(R"({"type":"role","id":"f","room":"r","user":"","role":"member"})", "user");
  refused_naming(R"({"type":"role","id":"f","room":"r","user":7,"role":"member"})", "user");
  refused_naming(R"({"type":"role","id":"f","room":"r","user":"a\nb","role":"member"})", "user");
  refused_naming(R"({"type":"role","id":"f","room":"r","user":")" + repeat("u", 129) + R"(","role":"member"})", "user");
  refused_naming(R"({"type":"role","id":"f","user":"u","role":"member"})", "room");
}

TEST_CASE("hand and floor", "[protocol]") {
  CHECK(accepted_as<Hand>(R"({"type":"hand","id":"f","room":"r","up":true})").up);
  CHECK_FALSE(accepted_as<Hand>(R"({"type":"hand","room":"r","up":false})").up);
  refused_naming(R"({"type":"hand","id":"f","room":"r"})", "up");
  refused_naming(R"({"type":"hand","id":"f","room":"r","up":1})", "up");
  refused_naming(R"({"type":"hand","id":"f","room":"r","up":"true"})", "up");

  CHECK(accepted_as<Floor>(R"({"type":"floor","id":"f","room":"r","user":"u-2"})").user == "u-2");
  CHECK_FALSE(accepted_as<Floor>(R"({"type":"floor","room":"r","user":null})").user.has_value());
  CHECK_FALSE(accepted_as<Floor>(R"({"type":"floor","room":"r"})").user.has_value());
  refused_naming(R"({"type":"floor","id":"f","room":"r","user":3})", "user");
  refused_naming(R"({"type":"floor","id":"f","room":"r","user":""})", "user");
  refused_naming(R"({"type":"floor","id":"f","user":"u"})", "room");
}

TEST_CASE("timer", "[protocol]") {
  const auto start =
      accepted_as<Timer>(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":300,"label":"Pairs"})");
  CHECK(start.action == TimerAction::start);
  CHECK(start.seconds == 300);
  CHECK(start.label == "Pairs");
  CHECK(accepted_as<Timer>(R"({"type":"timer","room":"r","action":"start","seconds":1})").label.empty());
  CHECK(accepted_as<Timer>(R"({"type":"timer","room":"r","action":"start","seconds":86400,"label":""})").seconds ==
        86400);
  accepted_as<Timer>(R"({"type":"timer","room":"r","action":"start","seconds":5,"label":")" + repeat("é", 80) + "\"}");
  CHECK(accepted_as<Timer>(R"({"type":"timer","room":"r","action":"pause"})").action == TimerAction::pause);
  CHECK(accepted_as<Timer>(R"({"type":"timer","room":"r","action":"resume"})").action == TimerAction::resume);
  CHECK(accepted_as<Timer>(R"({"type":"timer","room":"r","action":"stop"})").action == TimerAction::stop);

  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start"})", "seconds");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":0})", "seconds");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":86401})", "seconds");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":"60"})", "seconds");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":60.5})", "seconds");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":5,"label":")" + repeat("é", 81) + "\"}",
                 "label");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"start","seconds":5,"label":5})", "label");
  refused_naming(R"({"type":"timer","id":"f","room":"r","action":"restart"})", "action");
  refused_naming(R"({"type":"timer","id":"f","room":"r"})", "action");
}

TEST_CASE("poll open and close", "[protocol]") {
  const auto open = accepted_as<PollOpen>(
      R"({"type":"poll","id":"f","room":"r","action":"open","question":"Which first?","options":["A","B","C"],"multi":true,"anonymous":false})");
  CHECK(open.question == "Which first?");
  CHECK(open.options == std::vector<std::string>{"A", "B", "C"});
  CHECK(open.multi);
  CHECK_FALSE(open.anonymous);
  const auto defaults = accepted_as<PollOpen>(R"({"type":"poll","room":"r","action":"open","question":"Q","options":["y","n"]})");
  CHECK_FALSE(defaults.multi);
  CHECK(defaults.anonymous);
  accepted_as<PollOpen>(R"({"type":"poll","room":"r","action":"open","question":")" + repeat("é", 300) +
                        R"(","options":["1","2","3","4","5","6","7","8","9","10"]})");

  const std::string base = R"({"type":"poll","id":"f","room":"r","action":"open",)";
  refused_naming(base + R"("options":["y","n"]})", "question");
  refused_naming(base + R"("question":"","options":["y","n"]})", "question");
  refused_naming(base + R"("question":")" + repeat("é", 301) + R"(","options":["y","n"]})", "question");
  refused_naming(base + R"("question":"Q"})", "options");
  refused_naming(base + R"("question":"Q","options":["only"]})", "options");
  refused_naming(base + R"("question":"Q","options":["1","2","3","4","5","6","7","8","9","10","11"]})", "options");
  refused_naming(base + R"("question":"Q","options":"y,n"})", "options");
  refused_naming(base + R"("question":"Q","options":["y",2]})", "options[1]");
  refused_naming(base + R"("question":"Q","options":["y",""]})", "options[1]");
  refused_naming(base + R"("question":"Q","options":["y",")" + repeat("é", 201) + "\"]}", "options[1]");
  refused_naming(base + R"("question":"Q","options":["y","n"],"multi":"no"})", "multi");
  refused_naming(base + R"("question":"Q","options":["y","n"],"anonymous":0})", "anonymous");
  refused_naming(R"({"type":"poll","id":"f","room":"r","action":"tally"})", "action");
  refused_naming(R"({"type":"poll","id":"f","room":"r","question":"Q","options":["y","n"]})", "action");

  const auto close = accepted_as<PollClose>(R"({"type":"poll","id":"f","room":"r","action":"close","poll":"p-3"})");
  CHECK(close.room == "r");
  CHECK(close.poll == "p-3");
  refused_naming(R"({"type":"poll","id":"f","room":"r","action":"close","poll":3})", "poll");
  refused_naming(R"({"type":"poll","id":"f","room":"r","action":"close"})", "poll");
  refused_naming(R"({"type":"poll","id":"f","room":"r","action":"close","poll":""})", "poll");
  refused_naming(R"({"type":"poll","id":"f","room":"r","action":"close","poll":[1]})", "poll");
}

TEST_CASE("vote", "[protocol]") {
  const auto vote = accepted_as<Vote>(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[0,2]})");
  CHECK(vote.poll == "p1");
  CHECK(vote.choices == std::vector<int>{0, 2});
  CHECK(accepted_as<Vote>(R"({"type":"vote","room":"r","poll":"p1","choices":[]})").choices.empty());
  CHECK(accepted_as<Vote>(R"({"type":"vote","room":"r","poll":"p1","choices":[0,1,2,3,4,5,6,7,8,9]})").choices.size() == 10);
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[0,1,2,3,4,5,6,7,8,9,0]})", "choices");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[-1]})", "choices[0]");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[10]})", "choices[0]");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[1,"2"]})", "choices[1]");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":[0.5]})", "choices[0]");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1","choices":1})", "choices");
  refused_naming(R"({"type":"vote","id":"f","room":"r","poll":"p1"})", "choices");
  refused_naming(R"({"type":"vote","id":"f","room":"r","choices":[1]})", "poll");
}

TEST_CASE("breakout open, broadcast, close", "[protocol]") {
  const auto open = accepted_as<BreakoutOpen>(
      R"({"type":"breakout","id":"f","room":"r","action":"open","groups":3,"strategy":"manual","assign":{"u1":1,"u2":3},"minutes":15})");
  CHECK(open.groups == 3);
  CHECK_FALSE(open.size.has_value());
  CHECK(open.strategy == BreakoutStrategy::manual);
  CHECK(open.assign == std::map<std::string, int>{{"u1", 1}, {"u2", 3}});
  CHECK(open.minutes == 15);
  const auto by_size = accepted_as<BreakoutOpen>(R"({"type":"breakout","room":"r","action":"open","size":4})");
  CHECK(by_size.size == 4);
  CHECK_FALSE(by_size.groups.has_value());
  CHECK(by_size.strategy == BreakoutStrategy::mix);
  CHECK(by_size.assign.empty());
  CHECK_FALSE(by_size.minutes.has_value());
  CHECK(accepted_as<BreakoutOpen>(R"({"type":"breakout","room":"r","action":"open","groups":50,"strategy":"random"})")
            .strategy == BreakoutStrategy::random);
  accepted_as<BreakoutOpen>(R"({"type":"breakout","room":"r","action":"open","size":200,"minutes":600})");

  const std::string base = R"({"type":"breakout","id":"f","room":"r","action":"open",)";
  CHECK_THAT(std::get<FrameError>(parse_client_frame(base + R"("groups":2,"size":3})")).message, Contains("'groups'"));
  CHECK_THAT(std::get<FrameError>(parse_client_frame(base + R"("minutes":5})")).message, Contains("'size'"));
  refused_naming(base + R"("groups":0})", "groups");
  refused_naming(base + R"("groups":51})", "groups");
  refused_naming(base + R"("groups":"2"})", "groups");
  refused_naming(base + R"("size":0})", "size");
  refused_naming(base + R"("size":201})", "size");
  refused_naming(base + R"("groups":2,"strategy":"balanced"})", "strategy");
  refused_naming(base + R"("groups":2,"assign":[["u",1]]})", "assign");
  refused_naming(base + R"("groups":2,"assign":{"u":0}})", "assign.u");
  refused_naming(base + R"("groups":2,"assign":{"u":"1"}})", "assign.u");
  refused_naming(base + R"("groups":2,"minutes":0})", "minutes");
  refused_naming(base + R"("groups":2,"minutes":601})", "minutes");

  const auto broadcast =
      accepted_as<BreakoutBroadcast>(R"({"type":"breakout","id":"f","room":"r","action":"broadcast","text":"5 minutes left"})");
  CHECK(broadcast.room == "r");
  CHECK(broadcast.text == "5 minutes left");
  refused_naming(R"({"type":"breakout","id":"f","room":"r","action":"broadcast"})", "text");
  refused_naming(R"({"type":"breakout","id":"f","room":"r","action":"broadcast","text":""})", "text");

  CHECK(accepted_as<BreakoutClose>(R"({"type":"breakout","room":"r","action":"close"})").room == "r");
  refused_naming(R"({"type":"breakout","id":"f","room":"r","action":"split"})", "action");
  refused_naming(R"({"type":"breakout","id":"f","room":"r"})", "action");
  refused_naming(R"({"type":"breakout","id":"f","action":"close"})", "room");
}

TEST_CASE("agenda set and move", "[protocol]") {
  const auto set = accepted_as<AgendaSet>(
      R"({"type":"agenda","id":"f","room":"r","items":[{"title":"Check-in","minutes":10},{"title":"Groups"}]})");
  CHECK(set.items == std::vector<AgendaItem>{{"Check-in", 10}, {"Groups", 0}});
  CHECK(accepted_as<AgendaSet>(R"({"type":"agenda","room":"r","items":[]})").items.empty());
  CHECK(accepted_as<AgendaSet>(R"({"type":"agenda","room":"r","action":"set","items":[{"title":"x","minutes":600}]})")
            .items.size() == 1);
  std::string fifty = R"({"type":"agenda","room":"r","items":[)";
  for (int i = 0; i < 50; ++i) fifty += std::string(i ? "," : "") + R"({"title":"t"})";
  CHECK(accepted_as<AgendaSet>(fifty + "]}").items.size() == 50);
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[)" + repeat(R"({"title":"t"},)", 50) +
                     R"({"title":"t"}]})",
                 "items");

  refused_naming(R"({"type":"agenda","id":"f","room":"r"})", "items");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":{}})", "items");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":["Check-in"]})", "items[0]");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[{"minutes":3}]})", "items[0].title");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[{"title":""}]})", "items[0].title");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[{"title":")" + repeat("é", 201) + "\"}]}",
                 "items[0].title");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[{"title":"a"},{"title":"b","minutes":601}]})",
                 "items[1].minutes");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","items":[{"title":"a","minutes":-1}]})", "items[0].minutes");

  const auto next = accepted_as<AgendaMove>(R"({"type":"agenda","id":"f","room":"r","action":"next"})");
  CHECK(next.forward);
  CHECK_FALSE(accepted_as<AgendaMove>(R"({"type":"agenda","room":"r","action":"prev"})").forward);
  refused_naming(R"({"type":"agenda","id":"f","room":"r","action":"skip"})", "action");
  refused_naming(R"({"type":"agenda","id":"f","room":"r","action":"next","items":[]})", "items");
  refused_naming(R"({"type":"agenda","id":"f","action":"next"})", "room");
}

TEST_CASE("lock and export", "[protocol]") {
  CHECK(accepted_as<Lock>(R"({"type":"lock","id":"f","room":"r","locked":true})").locked);
  CHECK_FALSE(accepted_as<Lock>(R"({"type":"lock","room":"r","locked":false})").locked);
  refused_naming(R"({"type":"lock","id":"f","room":"r"})", "locked");
  refused_naming(R"({"type":"lock","id":"f","room":"r","locked":"yes"})", "locked");
  refused_naming(R"({"type":"lock","id":"f","locked":true})", "room");

  CHECK(accepted_as<Export>(R"({"type":"export","id":"f","room":"housing"})").room == "housing");
  refused_naming(R"({"type":"export","id":"f"})", "room");
  refused_naming(R"({"type":"export","id":"f","room":"Housing"})", "room");
}

}  // namespace protocol_parse_facilitation_test
