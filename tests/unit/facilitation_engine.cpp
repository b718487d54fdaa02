// The facilitation commands (facilitation.md): every frame's happy path, its permission checks and
// its conflicts, with the exact event shapes.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "tests/unit/facilitation_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace facilitation_engine_test {

using namespace facilitation_test;

TEST_CASE("facilitation: roles are changed by the owner and facilitators only", "[facilitation]") {
  Room r;
  REQUIRE(f::role_of(r.state, r.room, r.owner.id) == p::Role::owner);
  REQUIRE(f::role_of(r.state, r.room, r.fran.id) == p::Role::facilitator);
  REQUIRE(f::role_of(r.state, r.room, r.amir.id) == p::Role::member);
  REQUIRE(f::role_of(r.state, r.room, r.obi.id) == p::Role::observer);
  REQUIRE(f::role_of(r.state, r.room, "u-stranger") == p::Role::member);

  SECTION("a facilitator promotes a member; everyone gets the role event with USER") {
    auto out = r.run(r.fran, p::SetRole{r.room.id, r.amir.id, p::Role::facilitator});
    REQUIRE(out.changed);
    REQUIRE(out.events.size() == 1);
    REQUIRE(out.events[0].only_users.empty());
    auto event = parse(out.events[0].payload);
    REQUIRE(str(event["type"]) == "role");
    REQUIRE(str(event["room"]) == "housing");
    REQUIRE(str(event["user"]["id"]) == r.amir.id);
    REQUIRE(str(event["user"]["name"]) == r.amir.name);
    REQUIRE(str(event["user"]["org"]) == r.amir.org);
    REQUIRE(str(event["role"]) == "facilitator");
    REQUIRE(f::role_of(r.state, r.room, r.amir.id) == p::Role::facilitator);
  }
  SECTION("back to member removes the stored role") {
    REQUIRE(r.run(r.owner, p::SetRole{r.room.id, r.fran.id, p::Role::member}).changed);
    REQUIRE(r.state.roles.count(r.fran.id) == 0);
  }
  SECTION("forbidden: members and observers change no roles") {
    REQUIRE(r.error_of(r.amir, p::SetRole{r.room.id, r.bea.id, p::Role::facilitator}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.amir, p::SetRole{r.room.id, r.amir.id, p::Role::facilitator}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.obi, p::SetRole{r.room.id, r.obi.id, p::Role::member}) == p::ErrorCode::forbidden);
  }
  SECTION("forbidden: giving the owner role, or changing the owner's") {
    REQUIRE(r.error_of(r.owner, p::SetRole{r.room.id, r.amir.id, p::Role::owner}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.fran, p::SetRole{r.room.id, r.owner.id, p::Role::observer}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.owner, p::SetRole{r.room.id, r.owner.id, p::Role::member}) == p::ErrorCode::forbidden);
  }
  SECTION("an unknown user is not_found; the same role again changes nothing but is announced") {
    REQUIRE(r.error_of(r.owner, p::SetRole{r.room.id, "u-nobody", p::Role::facilitator}) == p::ErrorCode::not_found);
    auto out = r.run(r.owner, p::SetRole{r.room.id, r.fran.id, p::Role::facilitator});
    REQUIRE_FALSE(out.error);
    REQUIRE_FALSE(out.changed);
    REQUIRE(out.events.size() == 1);  // facilitation.md: everyone gets the role event
    REQUIRE(out.events[0].only_users.empty());
    auto event = parse(out.events[0].payload);
    REQUIRE(str(event["user"]["id"]) == r.fran.id);
    REQUIRE(str(event["role"]) == "facilitator");
  }
  SECTION("making someone an observer takes them out of the queue and off the floor") {
    r.run(r.amir, p::Hand{r.room.id, true});
    r.run(r.bea, p::Hand{r.room.id, true});
    r.run(r.fran, p::Floor{r.room.id, r.bea.id});
    auto out = r.run(r.owner, p::SetRole{r.room.id, r.amir.id, p::Role::observer});
    REQUIRE(r.state.hands.empty());
    out = r.run(r.owner, p::SetRole{r.room.id, r.bea.id, p::Role::observer});
    REQUIRE_FALSE(r.state.floor);
    std::vector<std::string> types;
    for (const auto& event : out.events) types.push_back(str(parse(event.payload)["type"]));
    REQUIRE(types == std::vector<std::string>{"role", "floor"});
  }
}

TEST_CASE("facilitation: raised hands queue in order", "[facilitation]") {
  Room r;
  r.run(r.amir, p::Hand{r.room.id, true});
  r.run(r.cal, p::Hand{r.room.id, true});
  auto out = r.run(r.fran, p::Hand{r.room.id, true});
  REQUIRE(out.changed);
  REQUIRE(out.events.size() == 1);
  auto event = parse(out.events[0].payload);
  REQUIRE(str(event["type"]) == "hands");
  REQUIRE(str(event["room"]) == "housing");
  REQUIRE(user_ids(event["queue"]) == std::vector<std::string>{r.amir.id, r.cal.id, r.fran.id});
  REQUIRE(str(event["queue"][0]["name"]) == r.amir.name);

  SECTION("raising twice keeps the place; lowering leaves the queue; no-ops still tell everyone") {
    auto again = r.run(r.amir, p::Hand{r.room.id, true});
    REQUIRE_FALSE(again.changed);
    REQUIRE(again.events.size() == 1);  // facilitation.md: everyone gets `hands`
    REQUIRE(again.events[0].only_users.empty());
    REQUIRE(user_ids(parse(again.events[0].payload)["queue"]) ==
            std::vector<std::string>{r.amir.id, r.cal.id, r.fran.id});
    out = r.run(r.cal, p::Hand{r.room.id, false});
    REQUIRE(user_ids(parse(out.events[0].payload)["queue"]) == std::vector<std::string>{r.amir.id, r.fran.id});
    auto lowered = r.run(r.bea, p::Hand{r.room.id, false});
    REQUIRE_FALSE(lowered.changed);
    REQUIRE(lowered.events.size() == 1);
    REQUIRE(user_ids(parse(lowered.events[0].payload)["queue"]) == std::vector<std::string>{r.amir.id, r.fran.id});
  }
  SECTION("forbidden: observers raise no hand") {
    REQUIRE(r.error_of(r.obi, p::Hand{r.room.id, true}) == p::ErrorCode::forbidden);
  }
}

TEST_CASE("facilitation: a person who left the room no longer waits to speak", "[facilitation]") {
  Room r;
  r.run(r.amir, p::Hand{r.room.id, true});
  r.run(r.cal, p::Hand{r.room.id, true});
  // Cal has gone (no longer present), yet the queue still names them as they were.
  r.present.erase(std::remove_if(r.present.begin(), r.present.end(),
                                 [&r](const p::PresenceEntry& entry) { return entry.user.id == r.cal.id; }),
                  r.present.end());
  auto out = f::lower_hand_of_leaver(r.state, r.context(), r.cal.id);
  REQUIRE(out.changed);
  REQUIRE(out.state.hands == std::vector<std::string>{r.amir.id});
  REQUIRE(out.events.size() == 1);
  REQUIRE(out.events[0].only_users.empty());
  auto event = parse(out.events[0].payload);
  REQUIRE(str(event["type"]) == "hands");
  REQUIRE(user_ids(event["queue"]) == std::vector<std::string>{r.amir.id});
  REQUIRE(str(event["queue"][0]["name"]) == r.amir.name);
  r.state = out.state;

  // Nothing to do for someone whose hand was not up: no save, nobody told.
  auto nothing = f::lower_hand_of_leaver(r.state, r.context(), r.bea.id);
  REQUIRE_FALSE(nothing.changed);
  REQUIRE(nothing.events.empty());
  REQUIRE(nothing.state == r.state);
}

TEST_CASE("facilitation: the floor goes to the next hand or to a named user", "[facilitation]") {
  Room r;
  r.run(r.amir, p::Hand{r.room.id, true});
  r.run(r.bea, p::Hand{r.room.id, true});
  r.run(r.cal, p::Hand{r.room.id, true});

  auto out = r.run(r.fran, p::Floor{r.room.id, std::nullopt});
  REQUIRE(out.events.size() == 2);
  auto floor = parse(out.events[0].payload);
  REQUIRE(str(floor["type"]) == "floor");
  REQUIRE(str(floor["user"]["id"]) == r.amir.id);
  auto hands = parse(out.events[1].payload);
  REQUIRE(user_ids(hands["queue"]) == std::vector<std::string>{r.bea.id, r.cal.id});

  out = r.run(r.owner, p::Floor{r.room.id, r.cal.id});  // named: leaves the queue too
  REQUIRE(str(parse(out.events[0].payload)["user"]["id"]) == r.cal.id);
  REQUIRE(r.state.hands == std::vector<std::string>{r.bea.id});

  out = r.run(r.fran, p::Floor{r.room.id, r.owner.id});  // not in the queue: only the floor event
  REQUIRE(out.events.size() == 1);
  REQUIRE(*r.state.floor == r.owner.id);

  r.run(r.fran, p::Floor{r.room.id, std::nullopt});  // bea
  out = r.run(r.fran, p::Floor{r.room.id, std::nullopt});  // empty queue: nobody
  REQUIRE(out.events.size() == 1);
  REQUIRE(parse(out.events[0].payload)["user"].IsNull());
  REQUIRE_FALSE(r.state.floor);
  out = r.run(r.fran, p::Floor{r.room.id, std::nullopt});  // nobody again: nothing saved, still told
  REQUIRE_FALSE(out.changed);
  REQUIRE(out.events.size() == 1);
  REQUIRE(parse(out.events[0].payload)["user"].IsNull());

  REQUIRE(r.error_of(r.amir, p::Floor{r.room.id, std::nullopt}) == p::ErrorCode::forbidden);
  REQUIRE(r.error_of(r.obi, p::Floor{r.room.id, r.amir.id}) == p::ErrorCode::forbidden);
  REQUIRE(r.error_of(r.fran, p::Floor{r.room.id, std::string("u-nobody")}) == p::ErrorCode::not_found);
  REQUIRE(r.error_of(r.fran, p::Floor{r.room.id, r.obi.id}) == p::ErrorCode::conflict);
}

TEST_CASE("facilitation: the timer runs, pauses, resumes, stops and is done once", "[facilitation]") {
  Room r;
  auto timer_of = [](const f::Outcome& out) { return parse(out.events.at(0).payload); };

  auto out = r.run(r.fran, p::Timer{r.room.id, p::TimerAction::start, 300, "Pairs"});
  auto event = timer_of(out);
  REQUIRE(str(event["type"]) == "timer");
  REQUIRE(str(event["room"]) == "housing");
  REQUIRE(str(event["state"]) == "running");
  REQUIRE(str(event["label"]) == "Pairs");
  REQUIRE(event["ends_at"].GetInt64() == r.now + 300'000);
  REQUIRE(event["remaining_ms"].GetInt64() == 300'000);
  REQUIRE(f::timer_deadline(r.state) == r.now + 300'000);

  r.now += 100'000;
  out = r.run(r.fran, p::Timer{r.room.id, p::TimerAction::pause, 0, ""});
  event = timer_of(out);
  REQUIRE(str(event["state"]) == "paused");
  REQUIRE_FALSE(event.HasMember("ends_at"));
  REQUIRE(event["remaining_ms"].GetInt64() == 200'000);
  REQUIRE_FALSE(f::timer_deadline(r.state));
  REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::pause, 0, ""}) == p::ErrorCode::conflict);

  r.now += 1'000'000;  // paused time does not count
  out = r.run(r.owner, p::Timer{r.room.id, p::TimerAction::resume, 0, ""});
  event = timer_of(out);
  REQUIRE(str(event["state"]) == "running");
  REQUIRE(event["ends_at"].GetInt64() == r.now + 200'000);
  REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::resume, 0, ""}) == p::ErrorCode::conflict);

  SECTION("expiry: nothing before the deadline, `done` once at it, never again") {
    r.now += 199'999;
    auto early = f::expire_timer(r.state, r.context());
    REQUIRE_FALSE(early.changed);
    REQUIRE(early.events.empty());
    r.now += 1;
    auto done = f::expire_timer(r.state, r.context());
    REQUIRE(done.changed);
    REQUIRE(done.events.size() == 1);
    event = parse(done.events[0].payload);
    REQUIRE(str(event["state"]) == "done");
    REQUIRE(event["remaining_ms"].GetInt64() == 0);
    REQUIRE(str(event["label"]) == "Pairs");
    r.state = done.state;
    REQUIRE_FALSE(f::timer_deadline(r.state));
    r.now += 5000;
    auto again = f::expire_timer(r.state, r.context());
    REQUIRE_FALSE(again.changed);
    REQUIRE(again.events.empty());
    REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::stop, 0, ""}) == p::ErrorCode::conflict);
    REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::pause, 0, ""}) == p::ErrorCode::conflict);
    // A new start after done runs again.
    REQUIRE(r.run(r.fran, p::Timer{r.room.id, p::TimerAction::start, 60, "Next"}).changed);
    REQUIRE(f::timer_deadline(r.state) == r.now + 60'000);
  }
  SECTION("stop keeps what was left; a stopped timer never fires") {
    r.now += 50'000;
    out = r.run(r.fran, p::Timer{r.room.id, p::TimerAction::stop, 0, ""});
    event = timer_of(out);
    REQUIRE(str(event["state"]) == "stopped");
    REQUIRE(event["remaining_ms"].GetInt64() == 150'000);
    REQUIRE_FALSE(event.HasMember("ends_at"));
    r.now += 10'000'000;
    REQUIRE_FALSE(f::expire_timer(r.state, r.context()).changed);
    REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::stop, 0, ""}) == p::ErrorCode::conflict);
  }
  SECTION("forbidden and bad input") {
    REQUIRE(r.error_of(r.amir, p::Timer{r.room.id, p::TimerAction::stop, 0, ""}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.obi, p::Timer{r.room.id, p::TimerAction::start, 10, ""}) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::start, 0, ""}) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.fran, p::Timer{r.room.id, p::TimerAction::start, 86401, ""}) == p::ErrorCode::bad_request);
  }
  SECTION("no timer yet: pause, resume and stop conflict") {
    Room fresh;
    for (auto action : {p::TimerAction::pause, p::TimerAction::resume, p::TimerAction::stop})
      REQUIRE(fresh.error_of(fresh.fran, p::Timer{fresh.room.id, action, 0, ""}) == p::ErrorCode::conflict);
    REQUIRE_FALSE(f::expire_timer(fresh.state, fresh.context()).changed);
  }
}

TEST_CASE("facilitation: polls count one ballot per user", "[facilitation]") {
  Room r;
  auto out = r.run(r.fran, p::PollOpen{r.room.id, "Which first?", {"Housing", "Transport", "Health"}, false, true});
  auto event = parse(out.events.at(0).payload);
  REQUIRE(str(event["type"]) == "poll");
  REQUIRE(str(event["room"]) == "housing");
  const auto& poll = event["poll"];
  REQUIRE(str(poll["id"]) == "p1");
  REQUIRE(str(poll["question"]) == "Which first?");
  REQUIRE(poll["options"].Size() == 3);
  REQUIRE(poll["multi"].GetBool() == false);
  REQUIRE(poll["anonymous"].GetBool() == true);
  REQUIRE(poll["open"].GetBool() == true);
  REQUIRE(poll["counts"].Size() == 3);
  REQUIRE(poll["voters"].GetInt() == 0);
  REQUIRE_FALSE(poll.HasMember("ballots"));

  REQUIRE(r.error_of(r.fran, p::PollOpen{r.room.id, "Another?", {"a", "b"}, false, true}) == p::ErrorCode::conflict);

  r.run(r.amir, p::Vote{r.room.id, "p1", {0}});
  r.run(r.bea, p::Vote{r.room.id, "p1", {2}});
  out = r.run(r.fran, p::Vote{r.room.id, "p1", {2}});  // facilitators vote too
  event = parse(out.events.at(0).payload);
  REQUIRE(event["poll"]["voters"].GetInt() == 3);
  REQUIRE(event["poll"]["counts"][0].GetInt() == 1);
  REQUIRE(event["poll"]["counts"][2].GetInt() == 2);
  REQUIRE_FALSE(event["poll"].HasMember("ballots"));

  out = r.run(r.amir, p::Vote{r.room.id, "p1", {2}});  // again: replaces
  event = parse(out.events.at(0).payload);
  REQUIRE(event["poll"]["voters"].GetInt() == 3);
  REQUIRE(event["poll"]["counts"][0].GetInt() == 0);
  REQUIRE(event["poll"]["counts"][2].GetInt() == 3);
  out = r.run(r.amir, p::Vote{r.room.id, "p1", {2}});  // same ballot: nothing new, but confirmed
  REQUIRE_FALSE(out.changed);
  REQUIRE(out.events.size() == 1);
  event = parse(out.events[0].payload);
  REQUIRE(event["poll"]["voters"].GetInt() == 3);
  REQUIRE(event["poll"]["counts"][2].GetInt() == 3);

  SECTION("bad ballots") {
    REQUIRE(r.error_of(r.amir, p::Vote{r.room.id, "p1", {}}) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.amir, p::Vote{r.room.id, "p1", {0, 1}}) == p::ErrorCode::bad_request);  // single choice
    REQUIRE(r.error_of(r.amir, p::Vote{r.room.id, "p1", {3}}) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.amir, p::Vote{r.room.id, "p1", {-1}}) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.amir, p::Vote{r.room.id, "p9", {0}}) == p::ErrorCode::not_found);
    REQUIRE(r.error_of(r.obi, p::Vote{r.room.id, "p1", {0}}) == p::ErrorCode::forbidden);
  }
  SECTION("close: final event, then no more votes; a second poll gets p2") {
    REQUIRE(r.error_of(r.amir, p::PollClose{r.room.id, "p1"}) == p::ErrorCode::forbidden);
    out = r.run(r.fran, p::PollClose{r.room.id, "p1"});
    event = parse(out.events.at(0).payload);
    REQUIRE(event["poll"]["open"].GetBool() == false);
    REQUIRE(event["poll"]["counts"][2].GetInt() == 3);
    REQUIRE(r.error_of(r.fran, p::PollClose{r.room.id, "p1"}) == p::ErrorCode::conflict);
    REQUIRE(r.error_of(r.fran, p::PollClose{r.room.id, "p7"}) == p::ErrorCode::not_found);
    REQUIRE(r.error_of(r.bea, p::Vote{r.room.id, "p1", {0}}) == p::ErrorCode::conflict);

    out = r.run(r.owner, p::PollOpen{r.room.id, "Which ones?", {"a", "b", "c"}, true, false});
    REQUIRE(str(parse(out.events[0].payload)["poll"]["id"]) == "p2");
    r.run(r.amir, p::Vote{r.room.id, "p2", {2, 0}});
    out = r.run(r.bea, p::Vote{r.room.id, "p2", {1}});
    event = parse(out.events.at(0).payload);
    const auto& named = event["poll"];
    REQUIRE(named["multi"].GetBool());
    REQUIRE(named["counts"][0].GetInt() == 1);
    REQUIRE(named["counts"][1].GetInt() == 1);
    REQUIRE(named["counts"][2].GetInt() == 1);
    REQUIRE(named["voters"].GetInt() == 2);
    REQUIRE(named["ballots"][r.amir.id.c_str()].Size() == 2);
    REQUIRE(named["ballots"][r.amir.id.c_str()][0].GetInt() == 0);
    REQUIRE(named["ballots"][r.amir.id.c_str()][1].GetInt() == 2);
    REQUIRE(named["ballots"][r.bea.id.c_str()][0].GetInt() == 1);
    REQUIRE(r.error_of(r.cal, p::Vote{r.room.id, "p2", {1, 1}}) == p::ErrorCode::bad_request);
  }
  SECTION("forbidden and malformed opens") {
    Room fresh;
    REQUIRE(fresh.error_of(fresh.amir, p::PollOpen{fresh.room.id, "Q", {"a", "b"}, false, true}) == p::ErrorCode::forbidden);
    REQUIRE(fresh.error_of(fresh.obi, p::PollOpen{fresh.room.id, "Q", {"a", "b"}, false, true}) == p::ErrorCode::forbidden);
    REQUIRE(fresh.error_of(fresh.fran, p::PollOpen{fresh.room.id, "Q", {"a"}, false, true}) == p::ErrorCode::bad_request);
    REQUIRE(fresh.error_of(fresh.fran, p::PollOpen{fresh.room.id, "", {"a", "b"}, false, true}) == p::ErrorCode::bad_request);
  }
  SECTION("the room's poll limit") {
    Room fresh;
    fresh.limits.max_polls = 2;
    for (int i = 0; i < 2; ++i) {
      fresh.run(fresh.fran, p::PollOpen{fresh.room.id, "Q", {"a", "b"}, false, true});
      fresh.run(fresh.fran, p::PollClose{fresh.room.id, "p" + std::to_string(i + 1)});
    }
    REQUIRE(fresh.error_of(fresh.fran, p::PollOpen{fresh.room.id, "Q", {"a", "b"}, false, true}) == p::ErrorCode::conflict);
  }
}

namespace {

p::BreakoutOpen breakout(const std::string& room, std::optional<int> groups, std::optional<int> size,
                         p::BreakoutStrategy strategy = p::BreakoutStrategy::mix) {
  p::BreakoutOpen open;
  open.room = room;
  open.groups = groups;
  open.size = size;
  open.strategy = strategy;
  return open;
}

struct Delivered {
  std::map<std::string, std::vector<std::string>> group_events;  // group room -> recipients
  std::map<std::string, std::vector<std::string>> group_members;
  std::vector<std::string> overview_recipients;
  rapidjson::Document overview;
};

Delivered delivered(const f::Outcome& out) {
  Delivered d;
  for (const auto& event : out.events) {
    auto json = parse(event.payload);
    REQUIRE(str(json["type"]) == "breakout");
    REQUIRE(str(json["state"]) == "open");
    REQUIRE_FALSE(event.only_users.empty());  // never everyone
    if (json.HasMember("group")) {
      d.group_events[str(json["group"])] = event.only_users;
      d.group_members[str(json["group"])] = user_ids(json["members"]);
    } else {
      d.overview_recipients = event.only_users;
      d.overview.Parse(event.payload.c_str());
    }
  }
  return d;
}

}  // namespace

TEST_CASE("facilitation: breakout groups open, broadcast and close", "[facilitation]") {
  Room r;
  p::User dee{"u-dee", "Dee Member", "nhs-mse"}, eli{"u-eli", "Eli Member", "essex-fire"};
  r.join(dee);
  r.join(eli);  // members present: amir, bea, cal, dee, eli
  const std::set<std::string> members = {r.amir.id, r.bea.id, r.cal.id, dee.id, eli.id};

  auto open = breakout(r.room.id, 2, std::nullopt);
  open.minutes = 10;
  auto out = r.run(r.fran, open);
  REQUIRE(out.changed);
  REQUIRE(out.rooms_to_create.size() == 2);
  for (int i = 0; i < 2; ++i) {
    const auto& room = out.rooms_to_create[static_cast<std::size_t>(i)];
    REQUIRE(room.id == "housing~" + std::to_string(i + 1));
    REQUIRE(room.kind == p::RoomKind::breakout);
    REQUIRE(room.parent == std::optional<std::string>("housing"));
    REQUIRE(room.created_by == r.room.created_by);  // the session's owner, not the facilitator who opened them
    REQUIRE(room.created_at == r.now);
    REQUIRE_FALSE(room.title.empty());
  }
  auto d = delivered(out);
  REQUIRE(d.group_events.size() == 2);
  std::set<std::string> placed;
  for (const auto& [group, recipients] : d.group_events) {
    REQUIRE(recipients == d.group_members[group]);  // each member gets their own group's event
    placed.insert(recipients.begin(), recipients.end());
  }
  REQUIRE(placed == members);  // facilitators, owner and observers are not distributed
  REQUIRE(d.group_members["housing~1"].size() + d.group_members["housing~2"].size() == 5);
  REQUIRE(std::abs(static_cast<int>(d.group_members["housing~1"].size()) -
                   static_cast<int>(d.group_members["housing~2"].size())) <= 1);
  // The two essex-cc... only cal is a member from essex-cc; the nhs pair must be split by mix.
  for (const auto& [group, ids] : d.group_members)
    REQUIRE_FALSE((std::count(ids.begin(), ids.end(), r.amir.id) && std::count(ids.begin(), ids.end(), dee.id)));
  std::set<std::string> overview_to(d.overview_recipients.begin(), d.overview_recipients.end());
  REQUIRE(overview_to == std::set<std::string>{r.fran.id, r.owner.id, r.obi.id});
  REQUIRE(d.overview["groups"].Size() == 2);
  REQUIRE(d.overview["ends_at"].GetInt64() == r.now + 600'000);
  {
    auto first = parse(out.events[0].payload);
    REQUIRE(first["ends_at"].GetInt64() == r.now + 600'000);
  }
  REQUIRE(r.state.breakouts.open);
  REQUIRE(r.state.breakouts.rooms == std::vector<std::string>{"housing~1", "housing~2"});

  REQUIRE(r.error_of(r.fran, breakout(r.room.id, 2, std::nullopt)) == p::ErrorCode::conflict);  // already open

  SECTION("broadcast posts the text into every group room") {
    out = r.run(r.fran, p::BreakoutBroadcast{r.room.id, "Five minutes left"});
    REQUIRE_FALSE(out.error);
    REQUIRE(out.events.empty());
    REQUIRE(out.posts == std::vector<std::pair<std::string, std::string>>{{"housing~1", "Five minutes left"},
                                                                          {"housing~2", "Five minutes left"}});
    REQUIRE(r.error_of(r.amir, p::BreakoutBroadcast{r.room.id, "hi"}) == p::ErrorCode::forbidden);
  }
  SECTION("close: everyone gets `closed`, the record of who was where stays") {
    REQUIRE(r.error_of(r.amir, p::BreakoutClose{r.room.id}) == p::ErrorCode::forbidden);
    out = r.run(r.owner, p::BreakoutClose{r.room.id});
    REQUIRE(out.events.size() == 1);
    REQUIRE(out.events[0].only_users.empty());
    auto event = parse(out.events[0].payload);
    REQUIRE(str(event["type"]) == "breakout");
    REQUIRE(str(event["room"]) == "housing");
    REQUIRE(str(event["state"]) == "closed");
    REQUIRE_FALSE(r.state.breakouts.open);
    REQUIRE(r.state.breakouts.groups.size() == 2);
    REQUIRE(r.error_of(r.fran, p::BreakoutClose{r.room.id}) == p::ErrorCode::conflict);
    REQUIRE(r.error_of(r.fran, p::BreakoutBroadcast{r.room.id, "late"}) == p::ErrorCode::conflict);
    // Reopening by size reuses the group room ids.
    out = r.run(r.fran, breakout(r.room.id, std::nullopt, 2, p::BreakoutStrategy::random));
    REQUIRE(out.rooms_to_create.size() == 3);  // ceil(5/2)
    REQUIRE(r.state.breakouts.rooms == std::vector<std::string>{"housing~1", "housing~2", "housing~3"});
  }
}

TEST_CASE("facilitation: breakout sizes, strategies and refusals", "[facilitation]") {
  Room r;
  for (int i = 0; i < 7; ++i)
    r.join({"u-extra" + std::to_string(i), "Extra " + std::to_string(i), "org-" + std::to_string(i % 3)});
  // 10 members present: amir, bea, cal and seven extras.

  SECTION("by size: n = ceil(present / size)") {
    auto out = r.run(r.fran, breakout(r.room.id, std::nullopt, 3, p::BreakoutStrategy::random));
    REQUIRE(out.rooms_to_create.size() == 4);
    auto d = delivered(out);
    std::vector<std::size_t> sizes;
    for (const auto& [group, ids] : d.group_members) sizes.push_back(ids.size());
    std::sort(sizes.begin(), sizes.end());
    REQUIRE(sizes == std::vector<std::size_t>{2, 2, 3, 3});
  }
  SECTION("more groups than people: exactly the groups asked for, some empty") {
    auto out = r.run(r.fran, breakout(r.room.id, 50, std::nullopt));
    REQUIRE(out.rooms_to_create.size() == 50);
    REQUIRE(r.state.breakouts.groups.size() == 50);
    auto d = delivered(out);
    REQUIRE(d.group_events.size() == 10);  // one each: nobody gets an empty group's event
    REQUIRE(d.overview["groups"].Size() == 50);
  }
  SECTION("manual: assigned places kept, the rest to the smallest groups") {
    auto open = breakout(r.room.id, 3, std::nullopt, p::BreakoutStrategy::manual);
    open.assign = {{r.amir.id, 1}, {r.bea.id, 1}, {r.cal.id, 1}, {r.fran.id, 2}};
    auto out = r.run(r.owner, open);
    REQUIRE_FALSE(out.error);
    auto d = delivered(out);
    const auto& one = d.group_members["housing~1"];
    REQUIRE(std::count(one.begin(), one.end(), r.amir.id) == 1);
    REQUIRE(std::count(one.begin(), one.end(), r.cal.id) == 1);
    const auto& two = d.group_members["housing~2"];
    REQUIRE(std::count(two.begin(), two.end(), r.fran.id) == 1);  // an explicitly assigned facilitator goes
    REQUIRE(one.size() + two.size() + d.group_members["housing~3"].size() == 11);
    // The 7 extras go one by one to the smallest group (lowest number on a tie): 4, 4, 3.
    REQUIRE(one.size() == 4);
    REQUIRE(two.size() == 4);
    REQUIRE(d.group_members["housing~3"].size() == 3);
    std::set<std::string> overview_to(d.overview_recipients.begin(), d.overview_recipients.end());
    REQUIRE(overview_to == std::set<std::string>{r.owner.id, r.obi.id});
  }
  SECTION("refusals") {
    auto manual = breakout(r.room.id, 2, std::nullopt, p::BreakoutStrategy::manual);
    manual.assign = {{r.amir.id, 3}};
    REQUIRE(r.error_of(r.fran, manual) == p::ErrorCode::bad_request);
    manual.assign = {{r.amir.id, 0}};
    REQUIRE(r.error_of(r.fran, manual) == p::ErrorCode::bad_request);
    manual.assign = {{"u-nobody", 1}};
    REQUIRE(r.error_of(r.fran, manual) == p::ErrorCode::not_found);
    auto mixed = breakout(r.room.id, 2, std::nullopt);
    mixed.assign = {{r.amir.id, 1}};
    REQUIRE(r.error_of(r.fran, mixed) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.fran, breakout(r.room.id, 2, 3)) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.fran, breakout(r.room.id, std::nullopt, std::nullopt)) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.fran, breakout(r.room.id, 0, std::nullopt)) == p::ErrorCode::bad_request);
    REQUIRE(r.error_of(r.amir, breakout(r.room.id, 2, std::nullopt)) == p::ErrorCode::forbidden);
    REQUIRE(r.error_of(r.obi, breakout(r.room.id, 2, std::nullopt)) == p::ErrorCode::forbidden);
  }
  SECTION("a room id too long for its group ids") {
    Room longer;
    longer.room.id = std::string(62, 'a') + "b";  // 63 characters: "~1" would make 65
    REQUIRE(longer.error_of(longer.fran, breakout(longer.room.id, 2, std::nullopt)) == p::ErrorCode::bad_request);
    longer.room.id = std::string(62, 'a');  // 62 + "~1" = 64: fine
    REQUIRE_FALSE(longer.run(longer.fran, breakout(longer.room.id, 2, std::nullopt)).error);
  }
  SECTION("no breakouts of a breakout room, and nobody to distribute") {
    Room group;
    group.room.kind = p::RoomKind::breakout;
    REQUIRE(group.error_of(group.fran, breakout(group.room.id, 2, std::nullopt)) == p::ErrorCode::bad_request);
    Room empty;
    empty.present.clear();
    // By size there is nothing to size the groups by; `groups:2` makes two empty groups.
    REQUIRE(empty.error_of(empty.fran, breakout(empty.room.id, std::nullopt, 2)) == p::ErrorCode::conflict);
    auto out = empty.run(empty.fran, breakout(empty.room.id, 2, std::nullopt));
    REQUIRE(out.rooms_to_create.size() == 2);
    REQUIRE(empty.state.breakouts.groups == std::vector<f::BreakoutGroup>{{"housing~1", {}}, {"housing~2", {}}});
  }
  SECTION("the same seed gives the same groups") {
    Room twin = r;
    auto a = r.run(r.fran, breakout(r.room.id, 3, std::nullopt));
    auto b = twin.run(twin.fran, breakout(twin.room.id, 3, std::nullopt));
    REQUIRE(a.state == b.state);
  }
}

TEST_CASE("facilitation: the agenda is set and moved, clamped at its ends", "[facilitation]") {
  Room r;
  REQUIRE(r.state.agenda_current == -1);
  REQUIRE(r.error_of(r.fran, p::AgendaMove{r.room.id, true}) == p::ErrorCode::conflict);

  auto out = r.run(r.fran, p::AgendaSet{r.room.id, {{"Check-in", 10}, {"Pairs", 20}, {"Vote", 5}}});
  auto event = parse(out.events.at(0).payload);
  REQUIRE(str(event["type"]) == "agenda");
  REQUIRE(str(event["room"]) == "housing");
  REQUIRE(event["items"].Size() == 3);
  REQUIRE(str(event["items"][1]["title"]) == "Pairs");
  REQUIRE(event["items"][1]["minutes"].GetInt() == 20);
  REQUIRE(event["current"].GetInt() == 0);

  out = r.run(r.fran, p::AgendaMove{r.room.id, false});  // already first: stays, everyone told
  REQUIRE_FALSE(out.changed);
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == 0);
  out = r.run(r.fran, p::AgendaMove{r.room.id, true});
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == 1);
  r.run(r.owner, p::AgendaMove{r.room.id, true});
  out = r.run(r.fran, p::AgendaMove{r.room.id, true});  // already last
  REQUIRE_FALSE(out.changed);
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == 2);
  REQUIRE(r.state.agenda_current == 2);
  out = r.run(r.fran, p::AgendaMove{r.room.id, false});
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == 1);

  // Editing keeps the current item where it can; an empty agenda has current -1.
  out = r.run(r.fran, p::AgendaSet{r.room.id, {{"Only", 0}}});
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == 0);
  out = r.run(r.fran, p::AgendaSet{r.room.id, {}});
  REQUIRE(parse(out.events.at(0).payload)["current"].GetInt() == -1);

  REQUIRE(r.error_of(r.amir, p::AgendaSet{r.room.id, {}}) == p::ErrorCode::forbidden);
  REQUIRE(r.error_of(r.amir, p::AgendaMove{r.room.id, true}) == p::ErrorCode::forbidden);
  REQUIRE(r.error_of(r.fran, p::AgendaSet{r.room.id, {{"", 1}}}) == p::ErrorCode::bad_request);
  REQUIRE(r.error_of(r.fran, p::AgendaSet{r.room.id, {{"x", 601}}}) == p::ErrorCode::bad_request);
}

TEST_CASE("facilitation: lock and who may send", "[facilitation]") {
  Room r;
  REQUIRE(f::may_send(r.state, r.room, r.amir.id));
  REQUIRE(f::may_send(r.state, r.room, r.owner.id));
  REQUIRE_FALSE(f::may_send(r.state, r.room, r.obi.id));
  REQUIRE(f::may_send(r.state, r.room, "u-someone-new"));

  REQUIRE(r.error_of(r.amir, p::Lock{r.room.id, true}) == p::ErrorCode::forbidden);
  auto out = r.run(r.fran, p::Lock{r.room.id, true});
  auto event = parse(out.events.at(0).payload);
  REQUIRE(str(event["type"]) == "lock");
  REQUIRE(event["locked"].GetBool());
  REQUIRE_FALSE(f::may_send(r.state, r.room, r.amir.id));
  REQUIRE_FALSE(f::may_send(r.state, r.room, r.obi.id));
  REQUIRE(f::may_send(r.state, r.room, r.fran.id));
  REQUIRE(f::may_send(r.state, r.room, r.owner.id));
  out = r.run(r.owner, p::Lock{r.room.id, true});
  REQUIRE_FALSE(out.changed);
  REQUIRE(parse(out.events.at(0).payload)["locked"].GetBool());

  r.run(r.owner, p::Lock{r.room.id, false});
  REQUIRE(f::may_send(r.state, r.room, r.amir.id));
}

TEST_CASE("facilitation: frames for another room, and frames that are not facilitation", "[facilitation]") {
  Room r;
  REQUIRE(r.error_of(r.fran, p::Lock{"elsewhere", true}) == p::ErrorCode::bad_request);
  REQUIRE(r.error_of(r.fran, p::Ping{}) == p::ErrorCode::bad_request);
  REQUIRE(r.error_of(r.fran, p::Export{r.room.id}) == p::ErrorCode::internal);  // the hub answers export
  REQUIRE(f::is_facilitation_frame(p::Export{r.room.id}));
  REQUIRE(f::is_facilitation_frame(p::Vote{}));
  REQUIRE_FALSE(f::is_facilitation_frame(p::Send{}));
  REQUIRE_FALSE(f::is_facilitation_frame(p::Join{}));
}

TEST_CASE("facilitation: participants are remembered in order of first join", "[facilitation]") {
  f::SessionState state;
  p::User a{"u-a", "A", "org-a"}, b{"u-b", "B", "org-b"};
  auto out = f::note_participant(state, a);
  REQUIRE(out.changed);
  out = f::note_participant(out.state, b);
  REQUIRE(out.changed);
  auto again = f::note_participant(out.state, a);
  REQUIRE_FALSE(again.changed);
  REQUIRE(again.state.participants == std::vector<p::User>{a, b});
  a.name = "A renamed";
  auto renamed = f::note_participant(again.state, a);
  REQUIRE(renamed.changed);
  REQUIRE(renamed.state.participants[0].name == "A renamed");
}

TEST_CASE("facilitation: people placed in groups are remembered for the record", "[facilitation]") {
  Room r;
  p::User late{"u-late", "Lee Late", "essex-fire"};
  r.present.push_back({late, p::PresenceState::online, r.now});  // present before their join was noted
  p::BreakoutOpen open;
  open.room = r.room.id;
  open.groups = 2;
  REQUIRE(r.run(r.fran, open).changed);
  REQUIRE(std::count(r.state.participants.begin(), r.state.participants.end(), late) == 1);
  const auto session = parse(f::session_json(r.state, r.room, r.now));
  bool found = false;
  for (const auto& group : session["breakouts"]["groups"].GetArray())
    for (const auto& member : group["members"].GetArray())
      if (str(member["id"]) == late.id) found = str(member["name"]) == late.name && str(member["org"]) == late.org;
  REQUIRE(found);
}

}  // namespace facilitation_engine_test
