// A room with a session state, people and a clock, for the facilitation engine's unit tests.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "server/facilitation/engine.hpp"

namespace facilitation_test {

namespace f = outloud::facilitation;
namespace p = outloud::protocol;

inline rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return doc;
}

inline std::string str(const rapidjson::Value& value) { return std::string(value.GetString(), value.GetStringLength()); }

struct Room {
  p::Room room{"housing", "Affordable housing", p::RoomKind::session, "u-olivia", 1'714'557'600'000, std::nullopt};
  f::SessionState state;
  std::int64_t now = 1'714'560'000'000;
  std::vector<p::PresenceEntry> present;
  std::uint64_t seed = 42;
  f::Limits limits{};

  p::User owner{"u-olivia", "Olivia Owner", "essex-cc"};
  p::User fran{"u-fran", "Fran Facilitator", "uni-essex"};
  p::User amir{"u-amir", "Amir Member", "nhs-mse"};
  p::User bea{"u-bea", "Bea Member", "essex-police"};
  p::User cal{"u-cal", "Cal Member", "essex-cc"};
  p::User obi{"u-obi", "Obi Observer", "charity-x"};

  Room() {
    for (const auto* user : {&owner, &fran, &amir, &bea, &cal, &obi}) join(*user);
    REQUIRE_FALSE(run(owner, p::SetRole{room.id, fran.id, p::Role::facilitator}).error);
    REQUIRE_FALSE(run(owner, p::SetRole{room.id, obi.id, p::Role::observer}).error);
  }

  void join(const p::User& user) {
    auto out = f::note_participant(state, user);
    state = out.state;
    present.push_back({user, p::PresenceState::online, now});
  }

  f::Context context() const {
    f::Context context{room, now, present, seed};
    context.limits = limits;
    return context;
  }

  // Applies a command; a successful one becomes the room's state, as the hub would save it.
  f::Outcome run(const p::User& actor, p::ClientBody body) {
    auto out = f::apply(state, context(), actor, body);
    if (!out.error) {
      if (!out.changed) REQUIRE(out.state == state);
      state = out.state;
    } else {
      REQUIRE(out.state == state);
      REQUIRE(out.events.empty());
      REQUIRE_FALSE(out.changed);
    }
    return out;
  }

  p::ErrorCode error_of(const p::User& actor, p::ClientBody body) {
    auto out = run(actor, std::move(body));
    REQUIRE(out.error.has_value());
    REQUIRE_FALSE(out.error_message.empty());
    return *out.error;
  }
};

inline std::vector<std::string> user_ids(const rapidjson::Value& users) {
  std::vector<std::string> out;
  for (const auto& user : users.GetArray()) out.push_back(str(user["id"]));
  return out;
}

}  // namespace facilitation_test
