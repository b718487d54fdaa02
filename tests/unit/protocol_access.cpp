// The frames of access.md (and the accounts.md extensions): parsing, validation, serialization.
#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "parse_expectations.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_access_test {

using namespace outloud::protocol;
using outloud::testing::accepted_as;
using outloud::testing::refused_naming;

namespace {

rapidjson::Document json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

}  // namespace

TEST_CASE("orgs, org, org_admin, people", "[protocol]") {
  accepted_as<ListOrgs>(R"({"type":"orgs","id":"f"})");
  const auto put = accepted_as<PutOrg>(
      R"({"type":"org","id":"f","org":{"id":"essex-cc","name":"Essex County Council","domains":["essex.gov.uk"]}})");
  CHECK(put.org == Org{"essex-cc", "Essex County Council", {"essex.gov.uk"}});
  CHECK(accepted_as<PutOrg>(R"({"type":"org","org":{"id":"resident","name":"Residents"}})").org.domains.empty());
  refused_naming(R"({"type":"org","id":"f"})", "org");
  refused_naming(R"({"type":"org","id":"f","org":"essex"})", "org");
  refused_naming(R"({"type":"org","id":"f","org":{"id":"Essex","name":"E"}})", "org.id");
  refused_naming(R"({"type":"org","id":"f","org":{"id":"e","name":""}})", "org.name");
  refused_naming(R"({"type":"org","id":"f","org":{"id":"e","name":"E","domains":[7]}})", "org.domains[0]");

  const auto admin = accepted_as<SetOrgAdmin>(R"({"type":"org_admin","id":"f","user":"u1","admin":false})");
  CHECK(admin.user == "u1");
  CHECK_FALSE(admin.admin);
  refused_naming(R"({"type":"org_admin","id":"f","user":"u1"})", "admin");
  refused_naming(R"({"type":"org_admin","id":"f","admin":true})", "user");

  CHECK(accepted_as<People>(R"({"type":"people","id":"f"})").query.empty());
  CHECK(accepted_as<People>(R"({"type":"people","id":"f","query":"fio"})").query == "fio");
  refused_naming(R"({"type":"people","id":"f","query":5})", "query");
}

TEST_CASE("invite, invitations, revoke", "[protocol]") {
  const auto plain = accepted_as<Invite>(R"({"type":"invite","id":"f","org":"essex-cc"})");
  CHECK(plain.org == "essex-cc");
  CHECK_FALSE(plain.room.has_value());
  CHECK(plain.role == Role::member);
  CHECK_FALSE(plain.guest);
  CHECK(plain.uses == 1);
  CHECK(plain.hours == 72);
  const auto guest = accepted_as<Invite>(
      R"({"type":"invite","id":"f","org":"resident","room":"r1","guest":true,"uses":5,"hours":2})");
  CHECK(guest.guest);
  CHECK(guest.room == "r1");
  CHECK(guest.uses == 5);
  CHECK(guest.hours == 2);
  const ClientBody guest_body = guest;
  const ClientBody plain_body = plain;
  REQUIRE(room_of(guest_body) != nullptr);
  CHECK(*room_of(guest_body) == "r1");
  CHECK(accepted_as<Invite>(R"({"type":"invite","org":"resident","room":"r1","guest":true,"role":"observer"})").role ==
        Role::observer);
  CHECK(room_of(plain_body) == nullptr);
  CHECK(accepted_as<Invite>(R"({"type":"invite","org":"o","room":"r","role":"facilitator"})").role == Role::facilitator);
  refused_naming(R"({"type":"invite","id":"f"})", "org");
  refused_naming(R"({"type":"invite","id":"f","org":"o","role":"owner"})", "role");
  refused_naming(R"({"type":"invite","id":"f","org":"o","guest":true})", "room");
  refused_naming(R"({"type":"invite","id":"f","org":"o","room":"r","guest":true,"role":"facilitator"})", "role");
  refused_naming(R"({"type":"invite","id":"f","org":"o","uses":0})", "uses");
  refused_naming(R"({"type":"invite","id":"f","org":"o","hours":0})", "hours");
  refused_naming(R"({"type":"invite","id":"f","org":"o","hours":1.5})", "hours");

  accepted_as<ListInvitations>(R"({"type":"invitations","id":"f"})");
  CHECK(accepted_as<RevokeInvitation>(R"({"type":"revoke","id":"f","invitation":"abc"})").invitation == "abc");
  refused_naming(R"({"type":"revoke","id":"f"})", "invitation");
}

TEST_CASE("room settings, members, add, remove", "[protocol]") {
  const auto all = accepted_as<RoomSettings>(
      R"({"type":"room","id":"f","room":"r","visibility":"private","label":"OFFICIAL-SENSITIVE","retention_days":30,"title":"T"})");
  CHECK(all.visibility == Visibility::private_);
  CHECK(all.label == "OFFICIAL-SENSITIVE");
  REQUIRE(all.retention_days.has_value());
  CHECK(*all.retention_days == 30);
  CHECK(all.title == "T");
  const auto forever = accepted_as<RoomSettings>(R"({"type":"room","room":"r","retention_days":null})");
  REQUIRE(forever.retention_days.has_value());
  CHECK_FALSE(forever.retention_days->has_value());
  const auto none = accepted_as<RoomSettings>(R"({"type":"room","room":"r"})");
  CHECK_FALSE(none.retention_days.has_value());
  CHECK_FALSE(none.visibility.has_value());
  refused_naming(R"({"type":"room","id":"f","room":"r","visibility":"secret"})", "visibility");
  refused_naming(R"({"type":"room","id":"f","room":"r","retention_days":0})", "retention_days");
  refused_naming(R"({"type":"room","id":"f","room":"r","label":""})", "label");
  refused_naming(R"({"type":"room","id":"f"})", "room");

  CHECK(accepted_as<ListMembers>(R"({"type":"members","id":"f","room":"r"})").room == "r");
  const auto add = accepted_as<AddMember>(R"({"type":"add","id":"f","room":"r","user":"u","role":"observer","reason":"why"})");
  CHECK(add.user == "u");
  CHECK(add.role == Role::observer);
  CHECK(add.reason == "why");
  CHECK(accepted_as<AddMember>(R"({"type":"add","room":"r","user":"u"})").role == Role::member);
  refused_naming(R"({"type":"add","id":"f","room":"r","user":"u","role":"owner"})", "role");
  refused_naming(R"({"type":"add","id":"f","room":"r","user":"u","reason":""})", "reason");
  refused_naming(R"({"type":"add","id":"f","room":"r"})", "user");
  const auto remove = accepted_as<RemoveMember>(R"({"type":"remove","id":"f","room":"r","user":"u"})");
  CHECK(remove.user == "u");
  refused_naming(R"({"type":"remove","id":"f","user":"u"})", "room");
}

TEST_CASE("create takes the room's visibility and label", "[protocol][access]") {
  const auto born = accepted_as<Create>(
      R"({"type":"create","id":"f","room":"r","title":"T","visibility":"private","label":"OFFICIAL-SENSITIVE"})");
  CHECK(born.visibility == Visibility::private_);
  CHECK(born.label == "OFFICIAL-SENSITIVE");
  CHECK(accepted_as<Create>(R"({"type":"create","room":"r","visibility":"open"})").visibility == Visibility::open);
  const auto plain = accepted_as<Create>(R"({"type":"create","room":"r"})");
  CHECK_FALSE(plain.visibility.has_value());
  CHECK_FALSE(plain.label.has_value());
  refused_naming(R"({"type":"create","id":"f","room":"r","visibility":"secret"})", "visibility");
  refused_naming(R"({"type":"create","id":"f","room":"r","visibility":true})", "visibility");
  refused_naming(R"({"type":"create","id":"f","room":"r","label":""})", "label");
  refused_naming(R"({"type":"create","id":"f","room":"r","label":7})", "label");
}

TEST_CASE("audit, token, sessions, end_session", "[protocol]") {
  const auto page = accepted_as<ReadAudit>(R"({"type":"audit","id":"f","before":1700000000000,"limit":20})");
  CHECK(page.before == 1700000000000);
  CHECK(page.limit == 20);
  CHECK_FALSE(accepted_as<ReadAudit>(R"({"type":"audit"})").limit.has_value());
  refused_naming(R"({"type":"audit","id":"f","limit":501})", "limit");
  refused_naming(R"({"type":"audit","id":"f","before":-1})", "before");
  accepted_as<MakeToken>(R"({"type":"token","id":"f"})");
  CHECK_FALSE(accepted_as<ListSessions>(R"({"type":"sessions","id":"f"})").user.has_value());
  CHECK(accepted_as<ListSessions>(R"({"type":"sessions","id":"f","user":"u"})").user == "u");
  CHECK(accepted_as<EndSession>(R"({"type":"end_session","id":"f","session":"s1"})").session == "s1");
  refused_naming(R"({"type":"end_session","id":"f"})", "session");
}

TEST_CASE("access serializers", "[protocol]") {
  const User fiona{"u1", "Fiona Reid", "essex-cc", false};
  const User rita{"u2", "Rita", "resident", true};
  {
    auto d = json(welcome_frame(RequestId{std::int64_t{1}}, fiona, "s", "n", 5, Privileges{true, true}));
    CHECK(d["user"]["admin"].GetBool());
    CHECK(d["user"]["org_admin"].GetBool());
    CHECK_FALSE(d["user"].HasMember("guest"));
    auto plain = json(welcome_frame(std::nullopt, rita, "s", "n", 5));
    CHECK(plain["user"]["guest"].GetBool());
    CHECK_FALSE(plain["user"].HasMember("admin"));
  }
  {
    Room room;
    room.id = "r";
    room.org = "essex-cc";
    room.visibility = Visibility::private_;
    room.retention_days = 30;
    auto d = json(room_event(room));
    CHECK(std::string(d["type"].GetString()) == "room");
    CHECK(std::string(d["room"]["visibility"].GetString()) == "private");
    CHECK(std::string(d["room"]["label"].GetString()) == "OFFICIAL");
    CHECK(std::string(d["room"]["org"].GetString()) == "essex-cc");
    CHECK(d["room"]["retention_days"].GetInt() == 30);
    room.retention_days.reset();
    CHECK(json(room_json(room))["retention_days"].IsNull());
  }
  {
    auto d = json(orgs_frame(RequestId{std::string("a")}, {Org{"o", "O", {"o.gov.uk"}}}));
    CHECK(std::string(d["orgs"][0]["domains"][0].GetString()) == "o.gov.uk");
    auto people = json(people_frame(std::nullopt, {{fiona, {}}, {rita, {false, true}}}));
    CHECK(std::string(people["people"][1]["name"].GetString()) == "Rita");
    CHECK(people["people"][1]["org_admin"].GetBool());
    CHECK_FALSE(people["people"][1].HasMember("admin"));
    CHECK_FALSE(people["people"][0].HasMember("org_admin"));
  }
  {
    InvitationInfo info{"i1", "code", "http://x/#invite=code", "resident", "r", Role::member, true, 1, 99, "u1", 5};
    auto made = json(invitation_frame(RequestId{std::int64_t{2}}, info));
    CHECK(std::string(made["invitation"]["code"].GetString()) == "code");
    CHECK(std::string(made["invitation"]["url"].GetString()) == "http://x/#invite=code");
    CHECK(made["invitation"]["guest"].GetBool());
    CHECK(made["invitation"]["uses_left"].GetInt() == 1);
    CHECK(made["invitation"]["expires_at"].GetInt() == 99);
    auto listed = json(invitations_frame(std::nullopt, {info}));
    CHECK_FALSE(listed["invitations"][0].HasMember("code"));  // codes are shown once
    CHECK_FALSE(listed["invitations"][0].HasMember("url"));
  }
  {
    MemberInfo across{rita, Role::member, fiona, std::string("resident of the ward"), 7};
    MemberInfo own{fiona, Role::owner, std::nullopt, std::nullopt, 3};
    auto d = json(members_frame(std::nullopt, "r", {own, across}));
    CHECK(d["members"][0]["sponsor"].IsNull());
    CHECK(d["members"][0]["reason"].IsNull());
    CHECK(std::string(d["members"][1]["sponsor"]["name"].GetString()) == "Fiona Reid");
    CHECK(std::string(d["members"][1]["reason"].GetString()) == "resident of the ward");
    CHECK(d["members"][1]["since"].GetInt() == 7);
    auto e = json(member_event("r", across, MemberEvent::remove));
    CHECK(std::string(e["event"].GetString()) == "remove");
    CHECK(std::string(e["room"].GetString()) == "r");
    CHECK_FALSE(e.HasMember("re"));
  }
  {
    auto d = json(audit_frame(std::nullopt, {AuditEntry{10, std::nullopt, "sign_in_failed", "1.2.3.4", "bad code"},
                                             AuditEntry{9, fiona, "export", "r", ""}}));
    CHECK(d["events"][0]["actor"].IsNull());
    CHECK(std::string(d["events"][1]["actor"]["id"].GetString()) == "u1");
    CHECK(std::string(json(token_frame(std::nullopt, "tok"))["token"].GetString()) == "tok");
    auto s = json(sessions_frame(std::nullopt, {SessionInfo{"s1", "u1", 1, 2, true}}));
    CHECK(s["sessions"][0]["current"].GetBool());
  }
}

}  // namespace protocol_access_test
