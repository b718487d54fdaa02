// The storage form of the session state, the `session` object of `joined`, and the Markdown record.
#include <catch2/catch.hpp>

#include "tests/unit/facilitation_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace facilitation_record_test {

using namespace facilitation_test;

namespace {

// A session that has been through a bit of everything.
Room busy_room() {
  Room r;
  r.run(r.fran, p::AgendaSet{r.room.id, {{"Check-in", 10}, {"Mixed groups", 25}, {"Vote", 5}}});
  r.run(r.fran, p::AgendaMove{r.room.id, true});
  r.run(r.amir, p::Hand{r.room.id, true});
  r.run(r.bea, p::Hand{r.room.id, true});
  r.run(r.cal, p::Hand{r.room.id, true});
  r.run(r.fran, p::Floor{r.room.id, std::nullopt});  // amir speaks
  r.run(r.fran, p::Timer{r.room.id, p::TimerAction::start, 300, "Pairs"});
  r.run(r.fran, p::PollOpen{r.room.id, "Which first?", {"Housing", "Transport"}, false, true});
  r.run(r.amir, p::Vote{r.room.id, "p1", {0}});
  r.run(r.bea, p::Vote{r.room.id, "p1", {0}});
  r.run(r.cal, p::Vote{r.room.id, "p1", {1}});
  r.run(r.fran, p::PollClose{r.room.id, "p1"});
  r.run(r.fran, p::PollOpen{r.room.id, "Who can host?", {"Council", "NHS", "Police"}, true, false});
  r.run(r.amir, p::Vote{r.room.id, "p2", {1, 2}});
  p::BreakoutOpen open;
  open.room = r.room.id;
  open.groups = 2;
  open.minutes = 15;
  r.run(r.fran, open);
  r.run(r.fran, p::Lock{r.room.id, true});
  return r;
}

p::Message message(const p::User& from, const std::string& room, std::int64_t seq, std::string text,
                   std::optional<p::Tag> tag = std::nullopt) {
  p::Message m;
  m.room = room;
  m.seq = seq;
  m.ts = 1'714'560'000'000 + seq * 61'000;
  m.from = from;
  m.text = std::move(text);
  m.tag = tag;
  return m;
}

std::size_t position(const std::string& haystack, const std::string& needle) {
  const auto at = haystack.find(needle);
  INFO("looking for: " << needle);
  REQUIRE(at != std::string::npos);
  return at;
}

}  // namespace

TEST_CASE("facilitation: the state survives its storage form", "[facilitation]") {
  Room r = busy_room();
  const auto text = f::state_to_json(r.state);
  REQUIRE(parse(text).IsObject());
  const auto back = f::state_from_json(text);
  REQUIRE(back == r.state);
  REQUIRE(f::state_to_json(back) == text);
  // The pieces that matter are really in it.
  REQUIRE(back.hands == std::vector<std::string>{r.bea.id, r.cal.id});
  REQUIRE(back.floor == std::optional<std::string>(r.amir.id));
  REQUIRE(back.timer->state == f::TimerState::running);
  REQUIRE(back.polls.size() == 2);
  REQUIRE(back.polls[1].ballots.at(r.amir.id) == std::vector<int>{1, 2});
  REQUIRE(back.agenda_current == 1);
  REQUIRE(back.breakouts.open);
  REQUIRE(back.breakouts.groups.size() == 2);
  REQUIRE(back.breakouts.ends_at == r.now + 15 * 60'000);
  REQUIRE(back.locked);
  REQUIRE(back.roles.at(r.fran.id) == p::Role::facilitator);
  REQUIRE(back.roles.at(r.obi.id) == p::Role::observer);
  REQUIRE(back.participants.size() == 6);
}

TEST_CASE("facilitation: empty or unreadable storage gives the default state", "[facilitation]") {
  const f::SessionState fresh;
  REQUIRE(f::state_from_json("") == fresh);
  REQUIRE(f::state_from_json("not json") == fresh);
  REQUIRE(f::state_from_json("[1,2]") == fresh);
  REQUIRE(f::state_from_json(R"({"v":999,"locked":true})") == fresh);
  REQUIRE(f::state_from_json(f::state_to_json(fresh)) == fresh);
  // Wrong types in single fields keep their defaults; the rest is read.
  auto partial = f::state_from_json(R"({"v":1,"locked":true,"hands":"x","roles":{"u-a":"owner","u-b":"observer"},
                                        "polls":[{"id":"p1","options":["a","b"],"ballots":{"u-a":[0,7]}}],"agenda_current":9})");
  REQUIRE(partial.locked);
  REQUIRE(partial.hands.empty());
  REQUIRE(partial.roles.size() == 1);  // the owner is never stored
  REQUIRE(partial.polls.at(0).ballots.at("u-a") == std::vector<int>{0});
  REQUIRE(partial.agenda_current == -1);
}

TEST_CASE("facilitation: the session object of `joined`", "[facilitation]") {
  Room r = busy_room();
  r.now += 60'000;
  const auto session = parse(f::session_json(r.state, r.room, r.now));
  REQUIRE(session.IsObject());
  REQUIRE(user_ids(session["hands"]) == std::vector<std::string>{r.bea.id, r.cal.id});
  REQUIRE(str(session["hands"][0]["name"]) == r.bea.name);
  REQUIRE(str(session["floor"]["id"]) == r.amir.id);
  REQUIRE(str(session["timer"]["state"]) == "running");
  REQUIRE(str(session["timer"]["label"]) == "Pairs");
  REQUIRE(session["timer"]["remaining_ms"].GetInt64() == 240'000);
  REQUIRE(str(session["poll"]["id"]) == "p2");
  REQUIRE(session["poll"]["open"].GetBool());
  REQUIRE(session["poll"].HasMember("ballots"));
  REQUIRE(session["polls"].Size() == 2);
  REQUIRE(session["polls"][0]["counts"][0].GetInt() == 2);
  REQUIRE(session["agenda"]["items"].Size() == 3);
  REQUIRE(session["agenda"]["current"].GetInt() == 1);
  REQUIRE(session["breakouts"]["open"].GetBool());
  REQUIRE(session["breakouts"]["groups"].Size() == 2);
  REQUIRE(str(session["breakouts"]["groups"][0]["group"]) == "housing~1");
  REQUIRE(session["breakouts"]["groups"][0]["members"][0].HasMember("org"));
  REQUIRE(session["locked"].GetBool());
  REQUIRE(session["roles"].Size() == 3);  // owner, facilitator, observer
  REQUIRE(str(session["roles"][0]["role"]) == "owner");
  REQUIRE(str(session["roles"][0]["user"]["id"]) == r.owner.id);

  const auto empty = parse(f::session_json(f::SessionState{}, r.room, r.now));
  REQUIRE(empty["hands"].Size() == 0);
  REQUIRE(empty["floor"].IsNull());
  REQUIRE(empty["timer"].IsNull());
  REQUIRE(empty["poll"].IsNull());
  REQUIRE(empty["agenda"]["current"].GetInt() == -1);
  REQUIRE_FALSE(empty["breakouts"]["open"].GetBool());
  REQUIRE_FALSE(empty["locked"].GetBool());
}

TEST_CASE("facilitation: the Markdown record", "[facilitation]") {
  Room r = busy_room();
  const std::vector<p::Message> messages = {
      message(r.amir, "housing", 1, "Morning all"),
      message(r.bea, "housing", 2, "Shared data saves weeks", p::Tag::learn),
      message(r.cal, "housing", 3, "# not a heading\n- not a list\r\n\n<script>alert(1)</script>", p::Tag::do_),
      message(r.owner, "housing", 4, "Tell the board", p::Tag::share),
  };
  p::Room group_room{"housing~1", "Affordable housing — group 1", p::RoomKind::breakout, r.fran.id, r.now, "housing"};
  f::GroupRecord group{group_room, {message(r.amir, "housing~1", 1, "We keep talking past each other",
                                            p::Tag::reflect)}};
  const auto md = f::export_markdown(r.room, r.state, messages, {group});
  INFO(md);

  REQUIRE(md.rfind("**OFFICIAL**\n\n# Affordable housing\n", 0) == 0);  // the label first
  // Who took part, by organisation, with roles.
  const auto participants = position(md, "## Participants");
  const auto essex = position(md, "- **essex-cc** (2): Olivia Owner (owner), Cal Member");
  position(md, "- **uni-essex** (1): Fran Facilitator (facilitator)");
  position(md, "- **charity-x** (1): Obi Observer (observer)");
  position(md, "- **nhs-mse** (1): Amir Member");
  // The agenda.
  const auto agenda = position(md, "## Agenda");
  position(md, "1. Check-in (10 min)\n2. Mixed groups (25 min) — current\n3. Vote (5 min)");
  // Every poll with its result.
  const auto polls = position(md, "## Polls");
  position(md, "### Poll p1: Which first?");
  position(md, "Closed · single choice · anonymous · 3 voters");
  position(md, "- Housing: 2\n- Transport: 1");
  position(md, "### Poll p2: Who can host?");
  position(md, "Open · multiple choice · named · 1 voter");
  position(md, "- Amir Member: NHS; Police");
  // Messages in order, quoted so they cannot break the document.
  const auto all = position(md, "## Messages");
  const auto first = position(md, "> Morning all");
  const auto second = position(md, "> Shared data saves weeks");
  REQUIRE(first < second);
  position(md, "> # not a heading\n> - not a list\n>\n> \\<script>alert(1)\\</script>\n\n");
  REQUIRE(md.find("\n# not a heading") == std::string::npos);
  position(md, "**Amir Member** (nhs-mse) · 2024-05-01 10:41:01 UTC · #1");
  // Group rooms are sections of the record.
  const auto groups = position(md, "## Breakout groups");
  const auto group_section = position(md, "### Affordable housing — group 1 (`housing~1`)");
  position(md, "Members: ");
  position(md, "> We keep talking past each other");
  // The tagged ones, under their headings, in that order.
  const auto learn = position(md, "## Learn");
  const auto do_ = position(md, "## Do");
  const auto reflect = position(md, "## Reflect");
  const auto share = position(md, "## Share");
  REQUIRE(participants < essex);
  REQUIRE(essex < agenda);
  REQUIRE(agenda < polls);
  REQUIRE(polls < all);
  REQUIRE(all < groups);
  REQUIRE(groups < group_section);
  REQUIRE(group_section < learn);
  REQUIRE(learn < do_);
  REQUIRE(do_ < reflect);
  REQUIRE(reflect < share);
  auto between = [&](std::size_t from, std::size_t to, const std::string& text) {
    const auto at = md.find(text, from);
    INFO(text);
    REQUIRE(at != std::string::npos);
    REQUIRE(at < to);
  };
  between(learn, do_, "> Shared data saves weeks");
  between(do_, reflect, "> # not a heading");
  between(reflect, share, "> We keep talking past each other");
  between(reflect, share, "in `housing~1`");
  between(share, md.size(), "> Tell the board");
  REQUIRE(md.find("Morning all", learn) == std::string::npos);  // untagged: not gathered
}

TEST_CASE("facilitation: the record of an empty room, and names that try to be Markdown", "[facilitation]") {
  p::Room room{"quiet", "", p::RoomKind::room, "u-x", 0, std::nullopt};
  f::SessionState state;
  state.participants.push_back({"u-x", "*Star* [link](x)\n# h", "org-a"});
  const auto md = f::export_markdown(room, state, {}, {});
  REQUIRE(md.rfind("**OFFICIAL**\n\n# quiet\n", 0) == 0);  // no title: the id
  REQUIRE(md.find("\\*Star\\* [link\\](x) # h (owner)") != std::string::npos);
  REQUIRE(md.find("_No agenda._") != std::string::npos);
  REQUIRE(md.find("_No polls._") != std::string::npos);
  REQUIRE(md.find("_No messages._") != std::string::npos);
  REQUIRE(md.find("## Breakout groups") == std::string::npos);
  for (const char* heading : {"## Learn", "## Do", "## Reflect", "## Share"}) REQUIRE(md.find(heading) != std::string::npos);
}

TEST_CASE("facilitation: a guest is marked as one in the record, beside the organisation its invitation named", "[facilitation]") {
  p::Room room{"housing", "Housing", p::RoomKind::room, "u-owner", 0, std::nullopt};
  f::SessionState state;
  const p::User owner{"u-owner", "Olu Owner", "council"};
  p::User guest{"u-guest", "Chief Inspector Smith", "police"};
  state.participants = {owner, guest};  // the state keeps no guest flag: the messages tell
  guest.guest = true;
  const std::vector<p::Message> messages = {message(owner, "housing", 1, "Welcome"), message(guest, "housing", 2, "Hello")};
  const auto md = f::export_markdown(room, state, messages, {});
  REQUIRE(md.find("**Chief Inspector Smith** (police, guest)") != std::string::npos);
  REQUIRE(md.find("**Olu Owner** (council) ·") != std::string::npos);
  REQUIRE(md.find("- **police** (1): Chief Inspector Smith (guest)") != std::string::npos);
  const auto html = f::export_html(room, state, messages, {}, {}, f::RecordClock());
  REQUIRE(html.find("Chief Inspector Smith</strong> (police, guest)") != std::string::npos);
  REQUIRE(html.find("Chief Inspector Smith (guest)") != std::string::npos);
}

TEST_CASE("facilitation: the export frame", "[facilitation]") {
  auto frame = parse(f::export_frame(p::RequestId{std::int64_t{12}}, "housing", "# T\n\n> \"quoted\""));
  REQUIRE(str(frame["type"]) == "export");
  REQUIRE(frame["re"].GetInt64() == 12);
  REQUIRE(str(frame["room"]) == "housing");
  REQUIRE(str(frame["markdown"]) == "# T\n\n> \"quoted\"");
  frame = parse(f::export_frame(p::RequestId{std::string("x-1")}, "housing", ""));
  REQUIRE(str(frame["re"]) == "x-1");
  frame = parse(f::export_frame(std::nullopt, "housing", ""));
  REQUIRE_FALSE(frame.HasMember("re"));
}

}  // namespace facilitation_record_test
