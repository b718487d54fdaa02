// Three gaps between the engine and facilitation.md, found by a black-box audit:
// - `breakout open` with `groups:n` creates exactly n group rooms, even with fewer people present;
// - a request that changes nothing still gets the event the contract promises for it (no save);
// - every USER the session names is well-formed: the owner who never joined, a session's leaders
//   in its groups, people given a role or the floor before their join was noted.
#include <algorithm>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "server/facilitation/grouping.hpp"
#include "tests/unit/facilitation_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace facilitation_contract_gaps_test {

using namespace facilitation_test;

namespace {

p::BreakoutOpen open_groups(const std::string& room, int groups, p::BreakoutStrategy strategy) {
  p::BreakoutOpen open;
  open.room = room;
  open.groups = groups;
  open.strategy = strategy;
  return open;
}

// protocol.md: USER is {"id","name","org"}, name 1 to 80 characters, org an org id.
void require_well_formed(const rapidjson::Value& user) {
  REQUIRE(user.IsObject());
  REQUIRE(user.HasMember("id"));
  REQUIRE(user.HasMember("name"));
  REQUIRE(user.HasMember("org"));
  REQUIRE_FALSE(str(user["id"]).empty());
  REQUIRE_FALSE(str(user["name"]).empty());
  INFO("org " << str(user["org"]));
  REQUIRE(std::regex_match(str(user["org"]), std::regex("[a-z0-9][a-z0-9._~-]{0,63}")));
}

// Every USER in a SESSION object.
void require_session_users_well_formed(const rapidjson::Value& session) {
  for (const auto& user : session["hands"].GetArray()) require_well_formed(user);
  if (!session["floor"].IsNull()) require_well_formed(session["floor"]);
  for (const auto& entry : session["roles"].GetArray()) require_well_formed(entry["user"]);
  for (const auto& group : session["breakouts"]["groups"].GetArray())
    for (const auto& user : group["members"].GetArray()) require_well_formed(user);
  for (const auto& user : session["breakouts"]["late"].GetArray()) require_well_formed(user);
}

const rapidjson::Value* role_entry(const rapidjson::Value& session, const std::string& id) {
  for (const auto& entry : session["roles"].GetArray())
    if (str(entry["user"]["id"]) == id) return &entry;
  return nullptr;
}

}  // namespace

TEST_CASE("facilitation: groups:n makes n group rooms even with fewer people present", "[facilitation][breakout]") {
  Room r;  // members present: amir, bea, cal (owner, fran and obi are not distributed)
  r.room.org = "essex-cc";
  for (auto strategy : {p::BreakoutStrategy::random, p::BreakoutStrategy::mix, p::BreakoutStrategy::manual}) {
    Room fresh = r;
    INFO("strategy " << static_cast<int>(strategy));
    auto out = fresh.run(fresh.fran, open_groups(fresh.room.id, 5, strategy));
    REQUIRE_FALSE(out.error);
    REQUIRE(out.changed);
    REQUIRE(out.rooms_to_create.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
      REQUIRE(out.rooms_to_create[i].id == "housing~" + std::to_string(i + 1));
      REQUIRE(out.rooms_to_create[i].kind == p::RoomKind::breakout);
    }
    REQUIRE(fresh.state.breakouts.groups.size() == 5);
    REQUIRE(fresh.state.breakouts.rooms.size() == 5);
    std::multiset<std::string> placed;
    std::size_t events_to_groups = 0;
    for (const auto& group : fresh.state.breakouts.groups) {
      REQUIRE(group.members.size() <= 1);  // sizes differ by at most one: 1, 1, 1, 0, 0
      placed.insert(group.members.begin(), group.members.end());
    }
    REQUIRE(placed == std::multiset<std::string>{fresh.amir.id, fresh.bea.id, fresh.cal.id});
    for (const auto& event : out.events) {
      REQUIRE_FALSE(event.only_users.empty());  // never everyone, never an empty group's nobody
      auto json = parse(event.payload);
      if (json.HasMember("group")) {
        ++events_to_groups;
        REQUIRE(json["members"].Size() == 1);
      } else {
        // The overview lists every group, the empty ones with members [].
        REQUIRE(json["groups"].Size() == 5);
        std::size_t empty = 0;
        for (const auto& group : json["groups"].GetArray()) {
          REQUIRE(group["members"].IsArray());
          if (group["members"].Empty()) ++empty;
        }
        REQUIRE(empty == 2);
      }
    }
    REQUIRE(events_to_groups == 3);
    // SESSION lists them all too.
    const auto session = parse(f::session_json(fresh.state, fresh.room, fresh.now));
    REQUIRE(session["breakouts"]["groups"].Size() == 5);
    require_session_users_well_formed(session);

    // Close reaches every group room, the empty ones too.
    out = fresh.run(fresh.fran, p::BreakoutClose{fresh.room.id});
    REQUIRE(out.room_events.size() == 5);
    REQUIRE(out.room_events.back().first == "housing~5");
  }
}

TEST_CASE("facilitation: empty groups take manual assignments and late joiners", "[facilitation][breakout]") {
  Room r;
  SECTION("manual: any of the n groups may be assigned, the rest fill the smallest") {
    auto open = open_groups(r.room.id, 4, p::BreakoutStrategy::manual);
    open.assign = {{r.amir.id, 4}};
    REQUIRE(r.run(r.fran, open).changed);
    REQUIRE(r.state.breakouts.groups.size() == 4);
    REQUIRE(r.state.breakouts.groups[3].members == std::vector<std::string>{r.amir.id});
    std::size_t total = 0;
    for (const auto& group : r.state.breakouts.groups) total += group.members.size();
    REQUIRE(total == 3);
    open.assign = {{r.amir.id, 5}};
    Room again;
    REQUIRE(again.error_of(again.fran, open) == p::ErrorCode::bad_request);  // beyond the n asked for
  }
  SECTION("a late joiner is placed into an empty group, by choice or by the mix rule") {
    REQUIRE(r.run(r.fran, open_groups(r.room.id, 5, p::BreakoutStrategy::mix)).changed);
    p::User dee{"u-dee", "Dee Member", "nhs-mse"}, eli{"u-eli", "Eli Member", "essex-fire"};
    for (const auto& user : {dee, eli}) {
      r.state = f::note_arrival(r.state, r.room, user).state;
      r.present.push_back({user, p::PresenceState::online, r.now});
    }
    REQUIRE(r.state.breakouts.late == std::vector<std::string>{dee.id, eli.id});
    std::size_t empty = 0;
    for (std::size_t i = 0; i < 5; ++i)
      if (r.state.breakouts.groups[i].members.empty()) empty = i;
    auto out = r.run(r.fran, p::BreakoutPlace{r.room.id, dee.id, static_cast<int>(empty) + 1});
    REQUIRE(out.changed);
    REQUIRE(r.state.breakouts.groups[empty].members == std::vector<std::string>{dee.id});
    out = r.run(r.fran, p::BreakoutPlace{r.room.id, eli.id, std::nullopt});  // the one empty group left
    REQUIRE(out.changed);
    for (const auto& group : r.state.breakouts.groups) REQUIRE(group.members.size() == 1);
    REQUIRE(r.state.breakouts.late.empty());
  }
  SECTION("groups:n with nobody present opens n empty groups; by size it is still a conflict") {
    Room empty;
    empty.present.clear();
    auto out = empty.run(empty.fran, open_groups(empty.room.id, 3, p::BreakoutStrategy::random));
    REQUIRE(out.rooms_to_create.size() == 3);
    REQUIRE(empty.state.breakouts.groups.size() == 3);
    p::BreakoutOpen by_size;
    by_size.room = empty.room.id;
    by_size.size = 2;
    Room none;
    none.present.clear();
    REQUIRE(none.error_of(none.fran, by_size) == p::ErrorCode::conflict);
  }
  SECTION("the bound on n stays: 1 to 50 groups") {
    REQUIRE(r.error_of(r.fran, open_groups(r.room.id, 51, p::BreakoutStrategy::random)) == p::ErrorCode::bad_request);
    REQUIRE(r.run(r.fran, open_groups(r.room.id, 50, p::BreakoutStrategy::random)).rooms_to_create.size() == 50);
  }
}

TEST_CASE("facilitation: mix with more groups than people puts nobody with a colleague", "[facilitation][mix]") {
  std::vector<p::User> people = {{"a", "A", "council"}, {"b", "B", "council"}, {"c", "C", "nhs"}};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto groups = f::mix_groups(people, 5, seed);
    REQUIRE(groups.size() == 5);
    std::size_t total = 0;
    for (const auto& group : groups) {
      REQUIRE(group.size() <= 1);
      total += group.size();
    }
    REQUIRE(total == 3);
  }
}

TEST_CASE("facilitation: the record lists an empty group as one", "[facilitation][breakout]") {
  Room r;
  REQUIRE(r.run(r.fran, open_groups(r.room.id, 4, p::BreakoutStrategy::random)).changed);
  std::vector<f::GroupRecord> groups;
  for (const auto& group : r.state.breakouts.groups) {
    p::Room room{group.room, "Group", p::RoomKind::breakout, r.fran.id, r.now, r.room.id};
    groups.push_back({room, {}});
  }
  const auto md = f::export_markdown(r.room, r.state, {}, groups);
  for (int i = 1; i <= 4; ++i) REQUIRE(md.find("`housing~" + std::to_string(i) + "`") != std::string::npos);
  REQUIRE(md.find("nobody was placed in this group") != std::string::npos);
  const auto html = f::export_html(r.room, r.state, {}, groups, {}, f::RecordClock());
  REQUIRE(html.find("Nobody was placed in this group") != std::string::npos);
}

TEST_CASE("facilitation: a request that changes nothing still gets its event, and saves nothing",
          "[facilitation][noop]") {
  Room r;
  auto same = [&](const p::User& actor, p::ClientBody body, const char* type) {
    const auto before = r.state;
    auto out = r.run(actor, std::move(body));
    REQUIRE_FALSE(out.error);
    REQUIRE_FALSE(out.changed);  // no durable write
    REQUIRE(out.state == before);
    REQUIRE(out.events.size() >= 1);
    REQUIRE(out.events[0].only_users.empty());  // to everyone
    auto event = parse(out.events[0].payload);
    REQUIRE(str(event["type"]) == type);
    REQUIRE(str(event["room"]) == "housing");
    return event;
  };
  r.run(r.amir, p::Hand{r.room.id, true});
  auto hands = same(r.amir, p::Hand{r.room.id, true}, "hands");
  REQUIRE(user_ids(hands["queue"]) == std::vector<std::string>{r.amir.id});
  hands = same(r.bea, p::Hand{r.room.id, false}, "hands");
  REQUIRE(user_ids(hands["queue"]) == std::vector<std::string>{r.amir.id});

  r.run(r.fran, p::PollOpen{r.room.id, "Which?", {"a", "b"}, false, false});
  r.run(r.bea, p::Vote{r.room.id, "p1", {1}});
  auto poll = same(r.bea, p::Vote{r.room.id, "p1", {1}}, "poll");
  REQUIRE(poll["poll"]["voters"].GetInt() == 1);
  REQUIRE(poll["poll"]["ballots"][r.bea.id.c_str()][0].GetInt() == 1);

  r.run(r.fran, p::AgendaSet{r.room.id, {{"One", 5}, {"Two", 5}}});
  auto agenda = same(r.fran, p::AgendaMove{r.room.id, false}, "agenda");
  REQUIRE(agenda["current"].GetInt() == 0);
  REQUIRE(agenda["items"].Size() == 2);
  r.run(r.fran, p::AgendaMove{r.room.id, true});
  agenda = same(r.fran, p::AgendaMove{r.room.id, true}, "agenda");
  REQUIRE(agenda["current"].GetInt() == 1);
  agenda = same(r.fran, p::AgendaSet{r.room.id, {{"One", 5}, {"Two", 5}}}, "agenda");
  REQUIRE(agenda["current"].GetInt() == 1);

  auto role = same(r.owner, p::SetRole{r.room.id, r.fran.id, p::Role::facilitator}, "role");
  REQUIRE(str(role["user"]["name"]) == r.fran.name);
  REQUIRE(str(role["role"]) == "facilitator");
  role = same(r.owner, p::SetRole{r.room.id, r.bea.id, p::Role::member}, "role");
  REQUIRE(str(role["role"]) == "member");

  r.run(r.fran, p::Floor{r.room.id, r.cal.id});
  auto floor = same(r.fran, p::Floor{r.room.id, r.cal.id}, "floor");
  REQUIRE(str(floor["user"]["id"]) == r.cal.id);

  auto lock = same(r.fran, p::Lock{r.room.id, false}, "lock");
  REQUIRE_FALSE(lock["locked"].GetBool());

  SECTION("placing someone where they already are: the group's event and the overview again, the group in the reply") {
    r.run(r.fran, open_groups(r.room.id, 2, p::BreakoutStrategy::random));
    std::size_t where = 0;
    for (std::size_t i = 0; i < 2; ++i)
      if (std::count(r.state.breakouts.groups[i].members.begin(), r.state.breakouts.groups[i].members.end(), r.cal.id))
        where = i;
    const auto before = r.state;
    auto out = r.run(r.fran, p::BreakoutPlace{r.room.id, r.cal.id, static_cast<int>(where) + 1});
    REQUIRE_FALSE(out.changed);
    REQUIRE(out.state == before);
    REQUIRE(out.reply_json);
    REQUIRE(str(parse(*out.reply_json)["group"]) == "housing~" + std::to_string(where + 1));
    REQUIRE(out.events.size() == 2);
    auto group = parse(out.events[0].payload);
    REQUIRE(str(group["group"]) == "housing~" + std::to_string(where + 1));
    REQUIRE(out.events[0].only_users == before.breakouts.groups[where].members);
    REQUIRE(parse(out.events[1].payload)["groups"].Size() == 2);
  }
  SECTION("what the contract promises no event for stays quiet: a second close of the same poll is a conflict") {
    r.run(r.fran, p::PollClose{r.room.id, "p1"});
    REQUIRE(r.error_of(r.fran, p::PollClose{r.room.id, "p1"}) == p::ErrorCode::conflict);
  }
}

TEST_CASE("facilitation: the owner who never joined is a well-formed USER in SESSION", "[facilitation][owner]") {
  p::Room room{"housing", "Affordable housing", p::RoomKind::session, "u-olivia", 1'714'557'600'000, std::nullopt};
  room.org = "essex-cc";
  const p::User owner{"u-olivia", "Olivia Owner", "essex-cc"};
  const p::User amir{"u-amir", "Amir Member", "nhs-mse"};
  f::SessionState state = f::note_participant({}, amir).state;  // only amir ever joined

  SECTION("not known: the room's organisation, never an empty org") {
    const auto session = parse(f::session_json(state, room, 0));
    const auto* entry = role_entry(session, owner.id);
    REQUIRE(entry);
    REQUIRE(str((*entry)["role"]) == "owner");
    require_well_formed((*entry)["user"]);
    REQUIRE(str((*entry)["user"]["org"]) == "essex-cc");
  }
  SECTION("remembered at creation: the owner's own name and org, outside the participants") {
    auto seeded = f::note_owner(state, room, owner);
    REQUIRE(seeded.changed);
    REQUIRE(seeded.events.empty());
    REQUIRE(seeded.state.participants == state.participants);  // not someone who took part
    const auto session = parse(f::session_json(seeded.state, room, 0));
    const auto& user = (*role_entry(session, owner.id))["user"];
    REQUIRE(str(user["name"]) == owner.name);
    REQUIRE(str(user["org"]) == owner.org);
    // Survives storage.
    REQUIRE(f::state_from_json(f::state_to_json(seeded.state)) == seeded.state);
    // Once is enough; somebody else is not the owner.
    REQUIRE_FALSE(f::note_owner(seeded.state, room, owner).changed);
    REQUIRE_FALSE(f::note_owner(seeded.state, room, amir).changed);
    // When the owner joins, the participant's USER takes over (a new name included).
    p::User renamed = owner;
    renamed.name = "Olivia O.";
    auto joined = f::note_participant(seeded.state, renamed);
    REQUIRE(joined.changed);
    REQUIRE(joined.state.known.empty());
    const auto after = parse(f::session_json(joined.state, room, 0));
    REQUIRE(str((*role_entry(after, owner.id))["user"]["name"]) == "Olivia O.");
    // A participant needs no known entry.
    REQUIRE_FALSE(f::note_owner(joined.state, room, renamed).changed);
  }
  SECTION("the stored form without `known` (written before) still reads") {
    auto json = f::state_to_json(state);
    REQUIRE(json.find("\"known\"") == std::string::npos);
    REQUIRE(f::state_from_json(json) == state);
  }
}

TEST_CASE("facilitation: every USER the session names is well-formed", "[facilitation][owner]") {
  Room r;
  r.room.org = "essex-cc";
  p::User dee{"u-dee", "Dee Member", "nhs-mse"};
  r.present.push_back({dee, p::PresenceState::online, r.now});  // present, join not noted yet

  SECTION("a role given to someone present before their join was noted names them later") {
    REQUIRE(r.run(r.owner, p::SetRole{r.room.id, dee.id, p::Role::facilitator}).changed);
    r.present.pop_back();
    const auto session = parse(f::session_json(r.state, r.room, r.now));
    const auto* entry = role_entry(session, dee.id);
    REQUIRE(entry);
    REQUIRE(str((*entry)["user"]["name"]) == dee.name);
    REQUIRE(str((*entry)["user"]["org"]) == dee.org);
  }
  SECTION("so does the floor given to them") {
    REQUIRE(r.run(r.fran, p::Floor{r.room.id, dee.id}).changed);
    r.present.pop_back();
    const auto session = parse(f::session_json(r.state, r.room, r.now));
    REQUIRE(str(session["floor"]["name"]) == dee.name);
    REQUIRE(str(session["floor"]["org"]) == dee.org);
  }
  SECTION("ids the state no longer knows (stored before) fall back to a well-formed USER") {
    r.state.hands = {"u-ghost"};
    r.state.floor = "u-ghost";
    r.state.breakouts.open = true;
    r.state.breakouts.groups = {{"housing~1", {"u-ghost"}}, {"housing~2", {}}};
    r.state.breakouts.late = {"u-ghost2"};
    r.state.roles["u-ghost3"] = p::Role::observer;
    const auto session = parse(f::session_json(r.state, r.room, r.now));
    require_session_users_well_formed(session);
    REQUIRE(str(session["hands"][0]["id"]) == "u-ghost");
  }
}

TEST_CASE("facilitation: a breakout group's SESSION names its leaders before they join it", "[facilitation][owner]") {
  Room r;
  r.room.org = "essex-cc";
  // The session's owner never joined the session: known from the room's creation only.
  r.state.participants.erase(r.state.participants.begin());
  r.state = f::note_owner(r.state, r.room, r.owner).state;
  auto out = r.run(r.fran, open_groups(r.room.id, 2, p::BreakoutStrategy::random));
  p::Room group_room = out.rooms_to_create.at(0);
  group_room.org = r.room.org;  // the hub gives groups their session's walls

  auto inherited = f::inherit_roles({}, group_room, r.state, r.room);
  REQUIRE(inherited.changed);
  const auto session = parse(f::session_json(inherited.state, group_room, r.now));
  require_session_users_well_formed(session);
  std::map<std::string, std::string> names;
  for (const auto& entry : session["roles"].GetArray())
    names[str(entry["user"]["id"])] = str(entry["user"]["name"]);
  REQUIRE(group_room.created_by == r.owner.id);  // the session's owner owns it, not who opened it
  REQUIRE(names[r.fran.id] == r.fran.name);      // the session's facilitator leads every group
  REQUIRE(names[r.owner.id] == r.owner.name);    // the group's owner: the session's
  REQUIRE(names[r.obi.id] == r.obi.name);      // the session's observer observes
  // Applying it again changes nothing.
  REQUIRE_FALSE(f::inherit_roles(inherited.state, group_room, r.state, r.room).changed);
  REQUIRE(inherited.state.participants.empty());  // nobody took part in the group yet
}

}  // namespace facilitation_contract_gaps_test
