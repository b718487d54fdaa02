// The accounts service over the SQLite account store: codes work once (even when used at the same
// time), expire, and all fail alike; sessions end at once; organisations come from invitations and
// verified domains, never from the request.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <functional>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/accounts/accounts.hpp"
#include "server/accounts/secrets.hpp"
#include "server/accounts/validation.hpp"
#include "server/embedded/sqlite_accounts.hpp"

namespace outloud::testing {
namespace accounts_service_test {

using accounts::Accounts;
using accounts::Identity;
using accounts::SignedIn;
using protocol::ErrorCode;

struct Service {
  explicit Service(const std::string& name, std::function<void(accounts::AccountsOptions&)> adjust = {})
      : path(std::filesystem::temp_directory_path() / ("outloud-accounts-" + std::to_string(::getpid()) + "-" + name + ".db")) {
    std::filesystem::remove(path);
    store = std::make_unique<embedded::SqliteAccounts>(path.string());
    accounts::AccountsOptions options;
    options.now_ms = [this] { return clock.load(); };
    options.base_url = [] { return std::string("http://example.test"); };
    if (adjust) adjust(options);
    service_options = options;
    service = std::make_unique<Accounts>(*store, options);
  }
  ~Service() {
    service.reset();
    store.reset();
    std::filesystem::remove(path);
  }

  SignedIn setup() {
    auto code = await_value<std::optional<std::string>>([&](auto done) { service->first_run(done); });
    REQUIRE(code.has_value());
    return await_value<SignedIn>([&](auto done) { service->setup({*code, "Ada Admin", "council", "Council"}, done); });
  }
  Identity identity(const SignedIn& s) { return Identity{s.account, s.session}; }

  std::filesystem::path path;
  std::atomic<std::int64_t> clock{1'800'000'000'000};
  std::unique_ptr<embedded::SqliteAccounts> store;
  std::unique_ptr<Accounts> service;
  accounts::AccountsOptions service_options;
};

ErrorCode code_of(const auto& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code;
}

TEST_CASE("accounts: the setup code works once; then there is no first run", "[accounts]") {
  Service s("setup");
  auto code = await_value<std::optional<std::string>>([&](auto done) { s.service->first_run(done); });
  REQUIRE(code);
  CHECK(code->size() == 43);
  CHECK(code_of(await<SignedIn>([&](auto done) { s.service->setup({"wrong", "A", "council", "C"}, done); })) ==
        ErrorCode::not_found);
  auto admin = await_value<SignedIn>([&](auto done) { s.service->setup({*code, "Ada Admin", "council", "Council"}, done); });
  CHECK(admin.account.admin);
  CHECK(admin.account.user.org == "council");
  CHECK(admin.token.size() == 43);
  CHECK(admin.session.token_hash == accounts::secret_hash(admin.token));  // only the hash is stored
  CHECK(code_of(await<SignedIn>([&](auto done) { s.service->setup({*code, "Eve", "evil", "Evil"}, done); })) ==
        ErrorCode::not_found);
  CHECK_FALSE(await_value<std::optional<std::string>>([&](auto done) { s.service->first_run(done); }));
}

TEST_CASE("accounts: an invitation used at the same time from many threads is redeemed once", "[accounts]") {
  Service s("race");
  auto admin = s.identity(s.setup());
  auto made = await_value<accounts::CreatedInvitation>([&](auto done) {
    s.service->invite(admin, {"council", std::nullopt, protocol::Role::member, false, 1, 1}, std::nullopt, done);
  });
  CHECK(made.url == "http://example.test/#invite=" + made.code);
  std::vector<Pending<SignedIn>> answers(8);
  std::vector<std::thread> threads;
  for (auto& answer : answers) {
    threads.emplace_back([&, callback = answer.callback()] { s.service->redeem(made.code, "Racer", callback); });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (auto& answer : answers) {
    auto result = answer.get();
    if (result.ok()) {
      ++ok;
      CHECK(result.value().account.user.org == "council");
    } else {
      CHECK(result.error().code == ErrorCode::not_found);
    }
  }
  CHECK(ok == 1);
}

TEST_CASE("accounts: expired and revoked invitations fail like bad ones", "[accounts]") {
  Service s("expiry");
  auto admin = s.identity(s.setup());
  auto invite = [&] {
    return await_value<accounts::CreatedInvitation>([&](auto done) {
      s.service->invite(admin, {"council", std::nullopt, protocol::Role::member, false, 5, 1}, std::nullopt, done);
    });
  };
  auto expiring = invite();
  auto revoked = invite();
  await_value<backend::Unit>([&](auto done) { s.service->revoke_invitation(admin, revoked.invitation.id, done); });
  s.clock += 60 * 60 * 1000;  // one hour: `expiring` is over
  for (const auto& code : {expiring.code, revoked.code, std::string("never-issued")}) {
    auto result = await<SignedIn>([&](auto done) { s.service->redeem(code, "Late", done); });
    CHECK(code_of(result) == ErrorCode::not_found);
    CHECK(result.error().message == "this invitation is not valid");
  }
}

TEST_CASE("accounts: email sign-in: only known domains, single use, 15 minutes", "[accounts]") {
  Service s("email");
  auto admin = s.identity(s.setup());
  await_value<protocol::Org>([&](auto done) { s.service->put_org(admin, {"police", "Essex Police", {"Essex.Police.UK"}}, done); });
  CHECK_FALSE(await_value<std::optional<accounts::SignInMail>>([&](auto done) {
    s.service->request_sign_in("someone@elsewhere.example", done);
  }));
  auto mail = await_value<std::optional<accounts::SignInMail>>([&](auto done) {
    s.service->request_sign_in("Pat.Officer@essex.police.uk", done);
  });
  REQUIRE(mail);
  CHECK(mail->email == "pat.officer@essex.police.uk");
  auto first = await_value<SignedIn>([&](auto done) { s.service->confirm_sign_in(mail->code, "Pat Officer", done); });
  CHECK(first.account.user.org == "police");
  CHECK(code_of(await<SignedIn>([&](auto done) { s.service->confirm_sign_in(mail->code, std::nullopt, done); })) ==
        ErrorCode::not_found);
  auto late = await_value<std::optional<accounts::SignInMail>>([&](auto done) {
    s.service->request_sign_in("pat.officer@essex.police.uk", done);
  });
  s.clock += 15 * 60 * 1000 + 1;
  CHECK(code_of(await<SignedIn>([&](auto done) { s.service->confirm_sign_in(late->code, std::nullopt, done); })) ==
        ErrorCode::not_found);
}

TEST_CASE("accounts: a session ends at once and is announced; only its owner or an administrator ends it", "[accounts]") {
  Service s("sessions");
  auto admin_in = s.setup();
  auto admin = s.identity(admin_in);
  std::vector<std::string> ended;
  std::mutex mutex;
  s.service->on_session_ended([&](const accounts::Session& session) {
    std::lock_guard lock(mutex);
    ended.push_back(session.id);
  });
  auto cli = await_value<SignedIn>([&](auto done) { s.service->make_token(admin, done); });
  auto who = await_value<Identity>([&](auto done) { s.service->authenticate(cli.token, "", done); });
  CHECK(who.account.user.id == admin.account.user.id);

  auto made = await_value<accounts::CreatedInvitation>([&](auto done) {
    s.service->invite(admin, {"council", std::nullopt, protocol::Role::member, false, 1, 1}, std::nullopt, done);
  });
  auto bob_in = await_value<SignedIn>([&](auto done) { s.service->redeem(made.code, "Bob", done); });
  auto bob = s.identity(bob_in);
  CHECK(code_of(await<backend::Unit>([&](auto done) { s.service->end_session(bob, cli.session.id, done); })) ==
        ErrorCode::not_found);
  CHECK(code_of(await<std::vector<accounts::Session>>([&](auto done) {
          s.service->sessions(bob, admin.account.user.id, done);
        })) == ErrorCode::forbidden);
  CHECK(await<Identity>([&](auto done) { s.service->authenticate(cli.token, "", done); }).ok());

  await_value<backend::Unit>([&](auto done) { s.service->end_session(admin, cli.session.id, done); });
  CHECK(code_of(await<Identity>([&](auto done) { s.service->authenticate(cli.token, "", done); })) ==
        ErrorCode::unauthenticated);
  await_value<backend::Unit>([&](auto done) { s.service->sign_out(bob, done); });
  CHECK(code_of(await<Identity>([&](auto done) { s.service->authenticate(bob_in.token, "", done); })) ==
        ErrorCode::unauthenticated);
  std::lock_guard lock(mutex);
  CHECK(ended == std::vector<std::string>{cli.session.id, bob_in.session.id});
}

std::vector<accounts::AuditEvent> audit_of(Service& s, const Identity& admin, const std::string& target) {
  auto events = await_value<std::vector<accounts::AuditEvent>>([&](auto done) { s.service->audit(admin, std::nullopt, 500, done); });
  std::erase_if(events, [&](const accounts::AuditEvent& e) { return e.target != target; });
  return events;
}

TEST_CASE("accounts: failed token checks are audited and limited per address; others sign in", "[accounts][tokens]") {
  Service s("token-failures", [](accounts::AccountsOptions& o) { o.max_failed_token_checks = 3; });
  auto admin_in = s.setup();
  auto admin = s.identity(admin_in);
  auto signed_out = await_value<SignedIn>([&](auto done) { s.service->make_token(admin, done); });
  await_value<backend::Unit>([&](auto done) { s.service->end_session(admin, signed_out.session.id, done); });
  auto check = [&](const std::string& token, const std::string& client) {
    return await<Identity>([&](auto done) { s.service->authenticate(token, client, done); });
  };
  // A signed-out token, a made-up one and an empty one: each a failure of 192.0.2.1.
  CHECK(code_of(check(signed_out.token, "192.0.2.1")) == ErrorCode::unauthenticated);
  CHECK(code_of(check(accounts::new_secret(), "192.0.2.1")) == ErrorCode::unauthenticated);
  CHECK(code_of(check("", "192.0.2.1")) == ErrorCode::unauthenticated);
  // The limit reached: a wrong token from there is refused as rate limited, and not audited again...
  CHECK(code_of(check(accounts::new_secret(), "192.0.2.1")) == ErrorCode::rate_limited);
  CHECK(code_of(check(signed_out.token, "192.0.2.1")) == ErrorCode::rate_limited);
  // ...while a right one still works, from there and from anywhere; successes never count.
  CHECK(check(admin_in.token, "192.0.2.1").ok());
  for (int i = 0; i < 5; ++i) CHECK(check(admin_in.token, "192.0.2.2").ok());
  CHECK(code_of(check(signed_out.token, "192.0.2.2")) == ErrorCode::unauthenticated);
  CHECK(check(admin_in.token, "192.0.2.2").ok());

  auto events = audit_of(s, admin, "session");
  REQUIRE(events.size() == 4);
  for (const auto& event : events) {
    CHECK(event.action == accounts::kAuditSignInFailed);
    CHECK_FALSE(event.actor);
  }
  CHECK(events.front().detail == "unknown, expired or signed-out session token from 192.0.2.2");
  CHECK(events.back().detail == "unknown, expired or signed-out session token from 192.0.2.1");
  auto reached = audit_of(s, admin, "192.0.2.1");
  REQUIRE(reached.size() == 1);
  CHECK(reached.front().detail == "reached 3 failed token checks a minute");
}

TEST_CASE("accounts: failed token checks are not limited with 0, nor without an address", "[accounts][tokens]") {
  Service s("token-unlimited", [](accounts::AccountsOptions& o) { o.max_failed_token_checks = 0; });
  auto admin_in = s.setup();
  for (int i = 0; i < 20; ++i) CHECK(code_of(await<Identity>([&](auto done) {
                                       s.service->authenticate("nope", "192.0.2.1", done);
                                     })) == ErrorCode::unauthenticated);
  CHECK(await<Identity>([&](auto done) { s.service->authenticate(admin_in.token, "192.0.2.1", done); }).ok());
  Service limited("token-no-address", [](accounts::AccountsOptions& o) { o.max_failed_token_checks = 1; });
  auto other_in = limited.setup();
  for (int i = 0; i < 5; ++i) CHECK(code_of(await<Identity>([&](auto done) {
                                      limited.service->authenticate("nope", "", done);
                                    })) == ErrorCode::unauthenticated);
  CHECK(await<Identity>([&](auto done) { limited.service->authenticate(other_in.token, "", done); }).ok());
}

TEST_CASE("accounts: a session unused for its lifetime is refused like a bad token; use keeps it; sweeps delete it",
          "[accounts][sessions]") {
  Service s("session-lifetime");
  constexpr std::int64_t kHour = 60 * 60 * 1000, kDay = 24 * kHour;
  REQUIRE(accounts::AccountsOptions{}.session_idle_ms == 30 * kDay);  // --session-days 30
  auto admin_in = s.setup();
  auto cli = await_value<SignedIn>([&](auto done) { s.service->make_token(s.identity(admin_in), done); });
  auto authenticate = [&](const std::string& token) {
    return await<Identity>([&](auto done) { s.service->authenticate(token, "", done); });
  };
  auto stored_last_use = [&](const std::string& id) {
    auto session = await_value<std::optional<accounts::Session>>([&](auto done) { s.store->get_session(id, done); });
    return session ? session->last_used : -1;
  };
  const std::int64_t signed_in_at = s.clock.load();

  // Used within the hour: nothing written; after an hour: the last use moves on.
  s.clock += 30 * 60 * 1000;
  REQUIRE(authenticate(cli.token).ok());
  CHECK(stored_last_use(cli.session.id) == signed_in_at);
  s.clock += 29 * kDay;
  REQUIRE(authenticate(cli.token).ok());
  CHECK(stored_last_use(cli.session.id) == s.clock.load());

  // 30 days after its last use the administrator's first session is refused, as a bad token is;
  // the one used 29 days ago still works, and only it is listed.
  s.clock += 29 * kDay;
  CHECK(code_of(authenticate(admin_in.token)) == ErrorCode::unauthenticated);
  CHECK(code_of(authenticate("never a token")) == ErrorCode::unauthenticated);
  auto who = authenticate(cli.token);
  REQUIRE(who.ok());
  auto listed = await_value<std::vector<accounts::Session>>([&](auto done) { s.service->sessions(who.value(), {}, done); });
  REQUIRE(listed.size() == 1);
  CHECK(listed.front().id == cli.session.id);

  // The sweep deletes the lapsed one only.
  CHECK(await_value<int>([&](auto done) { s.service->sweep_lapsed_sessions(done); }) == 1);
  CHECK(stored_last_use(admin_in.session.id) == -1);
  CHECK(stored_last_use(cli.session.id) == s.clock.load());
}

TEST_CASE("accounts: a sweep deletes at most one batch of lapsed sessions per request, and only lapsed ones", "[accounts][sessions]") {
  Service s("session-sweep", [](accounts::AccountsOptions& o) { o.session_sweep_batch = 2; });
  auto admin_in = s.setup();
  std::vector<SignedIn> made;
  for (int i = 0; i < 3; ++i) {
    s.clock += 1000;
    made.push_back(await_value<SignedIn>([&](auto done) { s.service->make_token(s.identity(admin_in), done); }));
  }
  s.clock += s.service_options.session_idle_ms - 500;  // all lapsed but the newest
  auto sweep = [&] { return await_value<int>([&](auto done) { s.service->sweep_lapsed_sessions(done); }); };
  CHECK(sweep() == 2);  // of the setup's session and the two older ones made
  CHECK(sweep() == 1);
  CHECK(sweep() == 0);
  CHECK(await<Identity>([&](auto done) { s.service->authenticate(made.back().token, "", done); }).ok());
}

TEST_CASE("accounts: with no session lifetime (--session-days 0) a session never lapses", "[accounts][sessions]") {
  Service s("session-forever", [](accounts::AccountsOptions& o) { o.session_idle_ms = 0; });
  auto admin_in = s.setup();
  s.clock += 3650LL * 24 * 60 * 60 * 1000;
  CHECK(await<Identity>([&](auto done) { s.service->authenticate(admin_in.token, "", done); }).ok());
  CHECK(await_value<int>([&](auto done) { s.service->sweep_lapsed_sessions(done); }) == 0);
}

TEST_CASE("accounts: a reason is trimmed of blanks; a blank one is empty", "[accounts][reason]") {
  using protocol::trim_blank;
  CHECK(trim_blank("Lead officer") == "Lead officer");
  CHECK(trim_blank("  Lead officer \t\n") == "Lead officer");
  CHECK(trim_blank("\xC2\xA0\xE3\x80\x80On call\xE2\x80\x8B") == "On call");  // NBSP, ideographic space, ZWSP
  CHECK(trim_blank("a  b") == "a  b");
  for (const char* blank : {"", " ", "   ", "\t\r\n", "\xC2\xA0", "\xE2\x80\x8B \xEF\xBB\xBF", "\xE2\x80\x83"}) {
    CHECK(trim_blank(blank).empty());
  }
  CHECK(trim_blank("\xFF") == "\xFF");  // not UTF-8: not blank either
}

namespace {

// Someone of `org` (which the administrator makes if needed), invited by the administrator.
Identity person(Service& s, const Identity& admin, const std::string& org, const std::string& name) {
  await<protocol::Org>([&](auto done) { s.service->put_org(admin, protocol::Org{org, org, {}}, done); });
  auto made = await_value<accounts::CreatedInvitation>([&](auto done) {
    s.service->invite(admin, {org, std::nullopt, protocol::Role::member, false, 1, 1}, std::nullopt, done);
  });
  return s.identity(await_value<SignedIn>([&](auto done) { s.service->redeem(made.code, name, done); }));
}


}  // namespace

TEST_CASE("accounts: people shows who administers what to administrators only", "[accounts][people]") {
  Service s("people-privileges");
  auto admin = s.identity(s.setup());  // of "council"
  auto priya = person(s, admin, "police", "Priya Police");
  auto colin = person(s, admin, "council", "Colin Colleague");
  auto pat = person(s, admin, "police", "Pat Plain");
  await_value<accounts::Account>([&](auto done) { s.service->set_org_admin(admin, priya.account.user.id, true, done); });
  auto seen_by = [&](const Identity& who) {
    auto people = await_value<std::vector<protocol::Person>>([&](auto done) { s.service->people(who, "", done); });
    std::map<std::string, std::pair<bool, bool>> flags;  // name -> {admin, org_admin}
    for (const auto& p : people) flags[p.user.name] = {p.privileges.admin, p.privileges.org_admin};
    return flags;
  };
  using Flags = std::map<std::string, std::pair<bool, bool>>;
  const Flags all{{"Ada Admin", {true, true}}, {"Priya Police", {false, true}}, {"Colin Colleague", {false, false}},
                  {"Pat Plain", {false, false}}};
  CHECK(seen_by(admin) == all);
  // police's administrator sees police's; not the deployment's administrator of another organisation.
  CHECK(seen_by(priya) == Flags{{"Ada Admin", {false, false}}, {"Priya Police", {false, true}},
                                {"Colin Colleague", {false, false}}, {"Pat Plain", {false, false}}});
  // Anyone else sees the people, not their privileges.
  for (const auto& who : {colin, pat}) {
    CHECK(seen_by(who) == Flags{{"Ada Admin", {false, false}}, {"Priya Police", {false, false}},
                                {"Colin Colleague", {false, false}}, {"Pat Plain", {false, false}}});
  }
}

TEST_CASE("accounts: a blank reason is refused and nothing is stored; a reason is kept trimmed", "[accounts][reason]") {
  Service s("reason");
  auto admin = s.identity(s.setup());
  auto outsider = person(s, admin, "police", "Priya Police");
  auto colleague = person(s, admin, "council", "Colin Colleague");
  protocol::Room room{"case", "Case", protocol::RoomKind::room, admin.account.user.id, 1, std::nullopt};
  room.org = "council";
  for (const char* blank : {" ", "   ", "\t\n", "\xC2\xA0\xE3\x80\x80", "\xE2\x80\x8B"}) {
    for (const auto* who : {&outsider, &colleague}) {
      auto added = await<accounts::MemberView>([&](auto done) {
        s.service->add_member(admin, room, who->account.user.id, protocol::Role::member, std::string(blank), done);
      });
      CHECK(code_of(added) == ErrorCode::bad_request);
    }
  }
  CHECK_FALSE(await_value<std::optional<accounts::Membership>>([&](auto done) {
    s.service->membership("case", outsider.account.user.id, done);
  }));
  CHECK(audit_of(s, admin, outsider.account.user.id).size() == 1);  // the sign-in only
  auto added = await_value<accounts::MemberView>([&](auto done) {
    s.service->add_member(admin, room, outsider.account.user.id, protocol::Role::observer, std::string(" Duty inspector\n"), done);
  });
  CHECK(added.added);
  CHECK(added.membership.reason == "Duty inspector");
  CHECK(added.membership.role == protocol::Role::observer);
  CHECK(audit_of(s, admin, outsider.account.user.id).front().detail ==
        "room case as observer, sponsor Ada Admin (council), reason: Duty inspector");
}

TEST_CASE("accounts: a role change from the role frame is audited and the membership follows", "[accounts][roles]") {
  Service s("roles");
  auto admin = s.identity(s.setup());
  auto colleague = person(s, admin, "council", "Colin Colleague");
  protocol::Room room{"case", "Case", protocol::RoomKind::room, admin.account.user.id, 1, std::nullopt};
  room.org = "council";
  const auto& id = colleague.account.user.id;
  await_value<accounts::Membership>([&](auto done) {
    s.service->ensure_member(room, colleague.account.user, protocol::Role::member, done);
  });
  await_value<backend::Unit>([&](auto done) {
    s.service->record_role_change(admin, "case", std::string("case"), id, protocol::Role::facilitator, done);
  });
  auto events = audit_of(s, admin, id);
  REQUIRE(!events.empty());
  CHECK(events.front().action == "role_changed");
  CHECK(events.front().detail == "room case now facilitator");
  REQUIRE(events.front().actor);
  CHECK(events.front().actor->id == admin.account.user.id);
  auto member = await_value<std::optional<accounts::Membership>>([&](auto done) { s.service->membership("case", id, done); });
  REQUIRE(member);
  CHECK(member->role == protocol::Role::facilitator);
  // An add with the role the member already has changes nothing and audits nothing more.
  auto again = await_value<accounts::MemberView>([&](auto done) {
    s.service->add_member(admin, room, id, protocol::Role::facilitator, std::nullopt, done);
  });
  CHECK_FALSE(again.added);
  CHECK(again.previous_role == protocol::Role::facilitator);
  CHECK(audit_of(s, admin, id).size() == events.size());
  // A role in a breakout group alone is audited and leaves the session's membership alone; someone
  // who is no member is made none by a role.
  await_value<backend::Unit>([&](auto done) {
    s.service->record_role_change(admin, "case~1", std::nullopt, id, protocol::Role::observer, done);
  });
  CHECK(audit_of(s, admin, id).front().detail == "room case~1 now observer");
  CHECK(await_value<std::optional<accounts::Membership>>([&](auto done) { s.service->membership("case", id, done); })->role ==
        protocol::Role::facilitator);
  await_value<backend::Unit>([&](auto done) {
    s.service->record_role_change(admin, "other", std::string("other"), id, protocol::Role::observer, done);
  });
  CHECK_FALSE(await_value<std::optional<accounts::Membership>>([&](auto done) { s.service->membership("other", id, done); }));
}

}  // namespace accounts_service_test
}  // namespace outloud::testing
