// Breakout rounds that run themselves, as pure transitions: the warning one `minute` before
// ends_at and the close at ends_at, each exactly once; late joiners listed and placed where the
// mix rule wants them; and the record's clock (zones, offsets, refusals).
#include <catch2/catch.hpp>

#include "server/facilitation/grouping.hpp"
#include "server/facilitation/record_clock.hpp"
#include "tests/unit/facilitation_fixture.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace facilitation_breakout_clock_test {

using namespace facilitation_test;

namespace {

int count_state(const f::Outcome& out, const char* state) {
  int n = 0;
  for (const auto& event : out.events)
    if (event.payload.find(std::string("\"state\":\"") + state + "\"") != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("facilitation: a timed round warns once a minute before the end and closes once at the end", "[facilitation]") {
  Room r;
  r.limits.minute_ms = 1000;
  REQUIRE_FALSE(r.run(r.owner, p::BreakoutOpen{r.room.id, 2, std::nullopt, p::BreakoutStrategy::mix, {}, 3}).error);
  const auto ends_at = r.now + 3000;
  REQUIRE(r.state.breakouts.ends_at == ends_at);
  REQUIRE(f::next_deadline(r.state) == ends_at - 1000);

  r.now = ends_at - 1001;
  REQUIRE_FALSE(f::expire_due(r.state, r.context()).changed);  // not yet

  r.now = ends_at - 1000;
  auto warned = f::expire_due(r.state, r.context());
  REQUIRE(warned.changed);
  REQUIRE(count_state(warned, "warning") == 1);
  REQUIRE(warned.room_events.size() == r.state.breakouts.groups.size());  // into every group room
  r.state = warned.state;
  REQUIRE_FALSE(f::expire_due(r.state, r.context()).changed);  // once
  REQUIRE(f::next_deadline(r.state) == ends_at);

  r.now = ends_at;
  auto closed = f::expire_due(r.state, r.context());
  REQUIRE(closed.changed);
  REQUIRE(count_state(closed, "closed") == 1);
  REQUIRE_FALSE(closed.state.breakouts.open);
  r.state = closed.state;
  REQUIRE_FALSE(f::expire_due(r.state, r.context()).changed);
  REQUIRE_FALSE(f::next_deadline(r.state));
}

TEST_CASE("facilitation: late joiners are listed for the leaders and placed where organisations stay mixed", "[facilitation]") {
  Room r;
  // Amir (nhs-mse), Bea (essex-police), Cal (essex-cc): two groups of 2 and 1 by the mix.
  r.present.erase(std::remove_if(r.present.begin(), r.present.end(),
                                 [&](const p::PresenceEntry& e) { return e.user.id == r.cal.id; }),
                  r.present.end());
  REQUIRE_FALSE(r.run(r.owner, p::BreakoutOpen{r.room.id, 2, std::nullopt, p::BreakoutStrategy::mix, {}, std::nullopt}).error);

  // Cal arrives late: listed, with an overview to the owner and the facilitator only.
  auto arrived = f::note_arrival(r.state, r.room, r.cal);
  REQUIRE(arrived.changed);
  REQUIRE(arrived.state.breakouts.late == std::vector<std::string>{r.cal.id});
  REQUIRE(arrived.events.size() == 1);
  REQUIRE(arrived.events[0].only_users == std::vector<std::string>{r.owner.id, r.fran.id});
  r.state = arrived.state;
  REQUIRE_FALSE(f::note_arrival(r.state, r.room, r.cal).changed);  // listed once
  REQUIRE_FALSE(f::note_arrival(r.state, r.room, r.fran).changed);  // facilitators are not placed

  // Only leaders place; only members are placed; groups exist up to their number.
  REQUIRE(r.error_of(r.amir, p::BreakoutPlace{r.room.id, r.cal.id, std::nullopt}) == p::ErrorCode::forbidden);
  REQUIRE(r.error_of(r.owner, p::BreakoutPlace{r.room.id, r.obi.id, std::nullopt}) == p::ErrorCode::conflict);
  REQUIRE(r.error_of(r.owner, p::BreakoutPlace{r.room.id, r.cal.id, 3}) == p::ErrorCode::bad_request);

  // Best fit: the smaller group.
  const auto smaller = r.state.breakouts.groups[0].members.size() <= r.state.breakouts.groups[1].members.size() ? 0 : 1;
  auto placed = r.run(r.owner, p::BreakoutPlace{r.room.id, r.cal.id, std::nullopt});
  REQUIRE_FALSE(placed.error);
  REQUIRE(placed.reply_json);
  REQUIRE(placed.reply_json->find(r.state.breakouts.groups[static_cast<std::size_t>(smaller)].room) != std::string::npos);
  REQUIRE(r.state.breakouts.late.empty());
  REQUIRE(std::count(r.state.breakouts.groups[static_cast<std::size_t>(smaller)].members.begin(),
                     r.state.breakouts.groups[static_cast<std::size_t>(smaller)].members.end(), r.cal.id) == 1);
  // Placing in the same group again changes nothing; a chosen group moves them.
  REQUIRE_FALSE(r.run(r.owner, p::BreakoutPlace{r.room.id, r.cal.id, smaller + 1}).changed);
  REQUIRE(r.run(r.owner, p::BreakoutPlace{r.room.id, r.cal.id, 2 - smaller}).changed);
}

TEST_CASE("facilitation: best_group_for prefers the smallest groups, then the fewest of one's organisation", "[facilitation]") {
  const f::Groups groups = {{"a1", "b1"}, {"a2", "c1"}, {"b2", "c2", "d1"}};
  auto org = [](const std::string& id) { return id.substr(0, 1); };
  REQUIRE(f::best_group_for("b", groups, org) == 1);  // sizes 2, 2, 3: group 2 has no b
  REQUIRE(f::best_group_for("c", groups, org) == 0);
  REQUIRE(f::best_group_for("", groups, org) == 0);   // no organisation: the first smallest
}

TEST_CASE("facilitation: the record's clock", "[facilitation]") {
  const std::int64_t winter = 1'764'633'600'000;  // 2025-12-02 00:00:00 UTC
  const std::int64_t summer = 1'751'328'000'000;  // 2025-07-01 00:00:00 UTC
  REQUIRE(f::RecordClock().format(winter) == "2025-12-02 00:00:00 UTC");
  auto london = f::RecordClock::named("Europe/London");
  REQUIRE(london);
  REQUIRE(london.value().name() == "Europe/London");
  REQUIRE(london.value().format(winter) == "2025-12-02 00:00:00 GMT");
  REQUIRE(london.value().format(summer) == "2025-07-01 01:00:00 BST");
  auto new_york = f::RecordClock::named("America/New_York");
  REQUIRE(new_york);
  REQUIRE(new_york.value().format(winter) == "2025-12-01 19:00:00 EST");
  REQUIRE(new_york.value().format(summer) == "2025-06-30 20:00:00 EDT");
  auto offset = f::RecordClock::named("-03:30");
  REQUIRE(offset);
  REQUIRE(offset.value().format(winter) == "2025-12-01 20:30:00 UTC-03:30");
  for (const char* bad : {"Mars/Base", "../etc/passwd", "/etc/passwd", "+25:00", "Europe/London\n"}) {
    INFO(bad);
    auto refused = f::RecordClock::named(bad);
    REQUIRE_FALSE(refused);
    REQUIRE(refused.error().code == p::ErrorCode::bad_request);
  }
}

}  // namespace facilitation_breakout_clock_test
