// The AccountStore contract (server/accounts/account_store.hpp), run against every backend kind:
// SQLite (embedded) and Redis (a real redis-server on a free port).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/accounts/secrets.hpp"

namespace outloud::testing {
namespace contract_accounts_test {

using accounts::Account;
using accounts::AccountStore;
using accounts::AuditEvent;
using accounts::Invitation;
using accounts::Membership;
using accounts::Session;
using accounts::SignInCode;
using accounts::Unit;
using protocol::ErrorCode;
using protocol::Org;
using protocol::Role;

constexpr std::int64_t kHour = 60LL * 60 * 1000;

Account make_account(const std::string& id, const std::string& name, const std::string& org,
                     std::optional<std::string> email = std::nullopt) {
  Account account;
  account.user = protocol::User{id, name, org};
  account.email = std::move(email);
  account.created_at = now_ms();
  return account;
}

Session make_session(const std::string& user, std::int64_t created_at, std::string token = accounts::new_secret()) {
  return Session{accounts::new_public_id(), accounts::secret_hash(token), user, created_at, created_at, false};
}

Invitation make_invitation(const std::string& code, std::int64_t created_at, int uses = 1) {
  Invitation invitation;
  invitation.id = accounts::new_public_id();
  invitation.code_hash = accounts::secret_hash(code);
  invitation.org = "essex-cc";
  invitation.uses_left = uses;
  invitation.expires_at = created_at + 72 * kHour;
  invitation.created_by = "u-admin";
  invitation.created_at = created_at;
  return invitation;
}

template <class T>
ErrorCode error_of(const backend::Result<T>& result) {
  REQUIRE_FALSE(result.ok());
  return result.error().code;
}

void create(AccountStore& store, const Account& account) {
  await_value<Account>([&](auto done) { store.create_account(account, done); });
}
void create(AccountStore& store, const Session& session) {
  await_value<Unit>([&](auto done) { store.create_session(session, done); });
}
void create(AccountStore& store, const Invitation& invitation) {
  await_value<Unit>([&](auto done) { store.create_invitation(invitation, done); });
}

std::vector<std::string> ids_of(const std::vector<Account>& accounts) {
  std::vector<std::string> ids;
  for (const auto& a : accounts) ids.push_back(a.user.id);
  return ids;
}
template <class T>
std::vector<std::string> ids_of(const std::vector<T>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

// Runs `count` calls of `start` at once from as many threads and counts the successes.
template <class T, class Start>
int concurrent_successes(int count, Start start) {
  std::vector<Pending<T>> pending(count);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      start(pending[i].callback());
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  int successes = 0;
  for (auto& p : pending) {
    auto result = p.get();
    if (result.ok()) {
      ++successes;
    } else {
      CHECK(result.error().code == ErrorCode::not_found);
    }
  }
  return successes;
}

TEST_CASE("accounts: organisations are stored, listed by id, found by domain; a domain has one owner",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-orgs");
    auto& store = backends->accounts();

    Org essex{"essex-cc", "Essex County Council", {"essex.gov.uk", "essexcc.gov.uk", "essex.gov.uk"}};
    auto stored = await_value<Org>([&](auto done) { store.put_org(essex, done); });
    CHECK(stored == Org{"essex-cc", "Essex County Council", {"essex.gov.uk", "essexcc.gov.uk"}});
    await_value<Org>([&](auto done) { store.put_org(Org{"nhs-ee", "NHS East of England", {"nhs.net"}}, done); });
    await_value<Org>([&](auto done) { store.put_org(Org{"resident", "Residents", {}}, done); });

    CHECK(await_value<std::optional<Org>>([&](auto done) { store.get_org("essex-cc", done); }) == stored);
    CHECK_FALSE(await_value<std::optional<Org>>([&](auto done) { store.get_org("nowhere", done); }).has_value());
    auto orgs = await_value<std::vector<Org>>([&](auto done) { store.list_orgs(done); });
    REQUIRE(orgs.size() == 3);
    CHECK(orgs[0].id == "essex-cc");
    CHECK(orgs[1] == Org{"nhs-ee", "NHS East of England", {"nhs.net"}});
    CHECK(orgs[2] == Org{"resident", "Residents", {}});

    auto by_domain = await_value<std::optional<Org>>([&](auto done) { store.find_org_by_domain("nhs.net", done); });
    REQUIRE(by_domain.has_value());
    CHECK(by_domain->id == "nhs-ee");
    CHECK_FALSE(await_value<std::optional<Org>>([&](auto done) { store.find_org_by_domain("gmail.com", done); }));

    // Another organisation's domain: conflict, and nothing changes.
    auto taken = await<Org>([&](auto done) { store.put_org(Org{"resident", "Residents", {"nhs.net"}}, done); });
    CHECK(error_of(taken) == ErrorCode::conflict);
    CHECK(await_value<std::optional<Org>>([&](auto done) { store.get_org("resident", done); })->domains.empty());

    // Replacing: the new name and domains; a domain dropped is free for another.
    await_value<Org>([&](auto done) { store.put_org(Org{"nhs-ee", "NHS East", {"nhs.uk"}}, done); });
    CHECK(await_value<std::optional<Org>>([&](auto done) { store.get_org("nhs-ee", done); }) ==
          Org{"nhs-ee", "NHS East", {"nhs.uk"}});
    CHECK_FALSE(await_value<std::optional<Org>>([&](auto done) { store.find_org_by_domain("nhs.net", done); }));
    await_value<Org>([&](auto done) { store.put_org(Org{"resident", "Residents", {"nhs.net"}}, done); });
    CHECK(await_value<std::optional<Org>>([&](auto done) { store.find_org_by_domain("nhs.net", done); })->id ==
          "resident");
  }
}

TEST_CASE("accounts: people are created once per id and email, found, searched and made org admins",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-people");
    auto& store = backends->accounts();

    CHECK_FALSE(await_value<bool>([&](auto done) { store.has_admin(done); }));
    Account fiona = make_account("u-fiona", "Fiona Reid", "essex-cc", "fiona@essex.gov.uk");
    fiona.admin = true;
    Account bob = make_account("u-bob", "Bob Brown", "nhs-ee", "bob@nhs.net");
    Account rita = make_account("u-rita", "Rita Resident", "resident");
    rita.user.guest = true;
    Account anna = make_account("u-anna", "anna Adams", "essex-cc");
    Account bob2 = make_account("u-bob2", "Bob Brown", "essex-cc");
    for (const auto& a : {fiona, bob, rita, anna, bob2}) create(store, a);
    CHECK(await_value<bool>([&](auto done) { store.has_admin(done); }));

    CHECK(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-fiona", done); }) == fiona);
    CHECK(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-rita", done); }) == rita);
    CHECK_FALSE(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-none", done); }));
    CHECK(await_value<std::optional<Account>>([&](auto done) { store.find_account_by_email("bob@nhs.net", done); }) ==
          bob);
    CHECK_FALSE(
        await_value<std::optional<Account>>([&](auto done) { store.find_account_by_email("x@nhs.net", done); }));

    Account same_id = make_account("u-bob", "Someone Else", "essex-cc");
    CHECK(error_of(await<Account>([&](auto done) { store.create_account(same_id, done); })) == ErrorCode::conflict);
    Account same_email = make_account("u-other", "Other", "nhs-ee", "bob@nhs.net");
    CHECK(error_of(await<Account>([&](auto done) { store.create_account(same_email, done); })) ==
          ErrorCode::conflict);
    CHECK_FALSE(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-other", done); }));
    CHECK(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-bob", done); })->user.name ==
          "Bob Brown");

    auto find = [&](const std::string& query, bool guests, int limit) {
      return ids_of(await_value<std::vector<Account>>(
          [&](auto done) { store.find_accounts(query, guests, limit, done); }));
    };
    // By name (byte order, as stored), then id; guests only when asked.
    CHECK(find("", false, 50) == std::vector<std::string>{"u-bob", "u-bob2", "u-fiona", "u-anna"});
    CHECK(find("", true, 50) == std::vector<std::string>{"u-bob", "u-bob2", "u-fiona", "u-rita", "u-anna"});
    CHECK(find("", true, 2) == std::vector<std::string>{"u-bob", "u-bob2"});
    CHECK(find("", true, 0).empty());
    // Case-insensitive, in the name, the id or the email.
    CHECK(find("BROWN", false, 50) == std::vector<std::string>{"u-bob", "u-bob2"});
    CHECK(find("essex.GOV", false, 50) == std::vector<std::string>{"u-fiona"});
    CHECK(find("u-ann", false, 50) == std::vector<std::string>{"u-anna"});
    CHECK(find("resident", false, 50).empty());
    CHECK(find("resident", true, 50) == std::vector<std::string>{"u-rita"});
    CHECK(find("%", true, 50).empty());

    auto made = await_value<Account>([&](auto done) { store.set_org_admin("u-bob", true, done); });
    CHECK(made.org_admin);
    CHECK(made.user == bob.user);
    CHECK(await_value<std::optional<Account>>([&](auto done) { store.get_account("u-bob", done); })->org_admin);
    CHECK_FALSE(await_value<Account>([&](auto done) { store.set_org_admin("u-bob", false, done); }).org_admin);
    CHECK(error_of(await<Account>([&](auto done) { store.set_org_admin("u-none", true, done); })) ==
          ErrorCode::not_found);
  }
}

TEST_CASE("accounts: sessions are found by token hash, listed newest first, and revoked for good",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-sessions");
    auto& store = backends->accounts();

    const std::int64_t t = now_ms();
    const std::string token = accounts::new_secret();
    Session first = make_session("u-fiona", t, token);
    Session second = make_session("u-fiona", t + 10);
    Session tied = make_session("u-fiona", t + 10);
    Session other = make_session("u-bob", t + 5);
    for (const auto& s : {first, second, tied, other}) create(store, s);

    auto by_hash = await_value<std::optional<Session>>(
        [&](auto done) { store.find_session(accounts::secret_hash(token), done); });
    CHECK(by_hash == first);
    CHECK(await_value<std::optional<Session>>([&](auto done) { store.get_session(second.id, done); }) == second);
    CHECK_FALSE(await_value<std::optional<Session>>(
        [&](auto done) { store.find_session(accounts::secret_hash("not a token"), done); }));
    CHECK_FALSE(await_value<std::optional<Session>>([&](auto done) { store.get_session("nope", done); }));

    // A second session with the same id or token hash is refused.
    Session copy = make_session("u-bob", t, token);
    CHECK_FALSE(await<Unit>([&](auto done) { store.create_session(copy, done); }).ok());

    // last_used only moves forward.
    await_value<Unit>([&](auto done) { store.touch_session(first.id, t + 1000, done); });
    await_value<Unit>([&](auto done) { store.touch_session(first.id, t + 500, done); });
    await_value<Unit>([&](auto done) { store.touch_session("nope", t, done); });
    CHECK(await_value<std::optional<Session>>([&](auto done) { store.get_session(first.id, done); })->last_used ==
          t + 1000);

    auto list = [&](const std::string& user, int limit) {
      return ids_of(await_value<std::vector<Session>>([&](auto done) { store.list_sessions(user, limit, done); }));
    };
    const auto [low, high] = std::minmax(second.id, tied.id);
    CHECK(list("u-fiona", 10) == std::vector<std::string>{low, high, first.id});
    CHECK(list("u-fiona", 1) == std::vector<std::string>{low});
    CHECK(list("u-fiona", 0).empty());
    CHECK(list("u-nobody", 10).empty());

    // Revoked: answered as it was, gone from the list, still found by its hash as revoked.
    auto revoked = await_value<Session>([&](auto done) { store.revoke_session(first.id, done); });
    CHECK(revoked.id == first.id);
    CHECK_FALSE(revoked.revoked);
    CHECK(error_of(await<Session>([&](auto done) { store.revoke_session(first.id, done); })) == ErrorCode::not_found);
    CHECK(error_of(await<Session>([&](auto done) { store.revoke_session("nope", done); })) == ErrorCode::not_found);
    CHECK(list("u-fiona", 10) == std::vector<std::string>{low, high});
    auto after = await_value<std::optional<Session>>(
        [&](auto done) { store.find_session(accounts::secret_hash(token), done); });
    REQUIRE(after.has_value());
    CHECK(after->revoked);
    CHECK(after->user == "u-fiona");
    CHECK(await_value<std::optional<Session>>([&](auto done) { store.get_session(first.id, done); })->revoked);
  }
}

TEST_CASE("accounts: invitations are redeemed while they have uses, until they expire or are revoked",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-invitations");
    auto& store = backends->accounts();
    const std::int64_t t = now_ms();

    Invitation twice = make_invitation("code-twice", t, 2);
    twice.room = "housing";
    twice.role = Role::facilitator;
    Invitation guest = make_invitation("code-guest", t + 1);
    guest.org = "resident";
    guest.guest = true;
    guest.room = "housing";
    Invitation soon = make_invitation("code-soon", t + 2);
    soon.expires_at = t + kHour;
    for (const auto& i : {twice, guest, soon}) create(store, i);
    CHECK(await_value<std::optional<Invitation>>([&](auto done) { store.get_invitation(twice.id, done); }) == twice);
    CHECK_FALSE(await_value<std::optional<Invitation>>([&](auto done) { store.get_invitation("nope", done); }));
    CHECK_FALSE(await<Unit>([&](auto done) { store.create_invitation(twice, done); }).ok());

    auto list = [&](std::int64_t now, int limit) {
      return ids_of(await_value<std::vector<Invitation>>(
          [&](auto done) { store.list_invitations(now, limit, done); }));
    };
    CHECK(list(t, 10) == std::vector<std::string>{soon.id, guest.id, twice.id});
    CHECK(list(t, 2) == std::vector<std::string>{soon.id, guest.id});
    CHECK(list(t + kHour, 10) == std::vector<std::string>{guest.id, twice.id});  // `soon` expired at that time

    auto redeem = [&](const std::string& code, std::int64_t now) {
      return await<Invitation>(
          [&](auto done) { store.redeem_invitation(accounts::secret_hash(code), now, done); });
    };
    auto used = redeem("code-twice", t);
    REQUIRE(used.ok());
    CHECK(used.value().id == twice.id);
    CHECK(used.value().uses_left == 1);
    CHECK(used.value().room == std::optional<std::string>("housing"));
    CHECK(used.value().role == Role::facilitator);
    CHECK(redeem("code-twice", t).value().uses_left == 0);
    CHECK(error_of(redeem("code-twice", t)) == ErrorCode::not_found);  // used up
    CHECK(await_value<std::optional<Invitation>>([&](auto done) { store.get_invitation(twice.id, done); })
              ->uses_left == 0);

    auto as_guest = redeem("code-guest", t);
    REQUIRE(as_guest.ok());
    CHECK(as_guest.value().guest);
    CHECK(as_guest.value().org == "resident");

    CHECK(error_of(redeem("code-soon", t + kHour)) == ErrorCode::not_found);  // expired at `now`
    CHECK(error_of(redeem("no-such-code", t)) == ErrorCode::not_found);

    Invitation revocable = make_invitation("code-revoked", t + 3, 5);
    create(store, revocable);
    auto revoked = await_value<Invitation>([&](auto done) { store.revoke_invitation(revocable.id, done); });
    CHECK(revoked.revoked);
    CHECK(await_value<Invitation>([&](auto done) { store.revoke_invitation(revocable.id, done); }).revoked);
    CHECK(error_of(await<Invitation>([&](auto done) { store.revoke_invitation("nope", done); })) ==
          ErrorCode::not_found);
    CHECK(error_of(redeem("code-revoked", t)) == ErrorCode::not_found);

    // Used up, revoked and expired ones are not listed; the one still usable is.
    CHECK(list(t, 10) == std::vector<std::string>{soon.id});
    CHECK(redeem("code-soon", t).ok());
    CHECK(list(t, 10).empty());
  }
}

TEST_CASE("accounts: of many concurrent redeems of a one-use invitation exactly one succeeds",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-redeem-race");
    auto& store = backends->accounts();
    const std::int64_t t = now_ms();
    for (int round = 0; round < 5; ++round) {
      const std::string code = accounts::new_secret();
      create(store, make_invitation(code, t));
      const std::string hash = accounts::secret_hash(code);
      CHECK(concurrent_successes<Invitation>(
                12, [&](auto done) { store.redeem_invitation(hash, t, done); }) == 1);
    }
    // Three uses, twelve tries: three.
    const std::string code = accounts::new_secret();
    create(store, make_invitation(code, t, 3));
    const std::string hash = accounts::secret_hash(code);
    CHECK(concurrent_successes<Invitation>(12, [&](auto done) { store.redeem_invitation(hash, t, done); }) == 3);
  }
}

TEST_CASE("accounts: sign-in codes and the setup code work once", "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-codes");
    auto& store = backends->accounts();
    const std::int64_t t = now_ms();

    SignInCode code{accounts::secret_hash("mailed"), "bob@nhs.net", t + 15 * 60 * 1000};
    await_value<Unit>([&](auto done) { store.create_sign_in_code(code, done); });
    auto consume = [&](const std::string& text, std::int64_t now) {
      return await<SignInCode>(
          [&](auto done) { store.consume_sign_in_code(accounts::secret_hash(text), now, done); });
    };
    auto used = consume("mailed", t);
    REQUIRE(used.ok());
    CHECK(used.value() == code);
    CHECK(error_of(consume("mailed", t)) == ErrorCode::not_found);
    CHECK(error_of(consume("never-mailed", t)) == ErrorCode::not_found);

    // Expired at `now`: refused.
    SignInCode late{accounts::secret_hash("late"), "bob@nhs.net", t + 1000};
    await_value<Unit>([&](auto done) { store.create_sign_in_code(late, done); });
    CHECK(error_of(consume("late", t + 1000)) == ErrorCode::not_found);

    // Concurrent uses of one code: exactly one.
    SignInCode raced{accounts::secret_hash("raced"), "fiona@essex.gov.uk", t + 60000};
    await_value<Unit>([&](auto done) { store.create_sign_in_code(raced, done); });
    CHECK(concurrent_successes<SignInCode>(
              12, [&](auto done) { store.consume_sign_in_code(raced.code_hash, t, done); }) == 1);

    // Setup codes: any of them works, once; using one ends them all.
    auto setup = [&](const std::string& text) {
      return await<Unit>([&](auto done) { store.consume_setup_code(accounts::secret_hash(text), done); });
    };
    auto put_setup = [&](const std::string& text) {
      await_value<Unit>([&](auto done) { store.put_setup_code(accounts::secret_hash(text), done); });
    };
    CHECK(error_of(setup("first")) == ErrorCode::not_found);
    put_setup("first");
    put_setup("second");
    put_setup("third");
    CHECK(error_of(setup("unknown")) == ErrorCode::not_found);
    CHECK(setup("first").ok());  // the earliest still works
    CHECK(error_of(setup("second")) == ErrorCode::not_found);
    CHECK(error_of(setup("third")) == ErrorCode::not_found);
    CHECK(error_of(setup("first")) == ErrorCode::not_found);
    // A node that found no administrator just before the setup adds no code after it.
    CHECK(error_of(await<Unit>([&](auto done) { store.put_setup_code(accounts::secret_hash("late"), done); })) ==
          ErrorCode::conflict);
    CHECK(error_of(setup("late")) == ErrorCode::not_found);
  }
}

TEST_CASE("accounts: of concurrent setups with different codes exactly one succeeds", "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-setup-race");
    auto& store = backends->accounts();
    std::vector<std::string> hashes;
    for (int i = 0; i < 6; ++i) {
      hashes.push_back(accounts::secret_hash("code-" + std::to_string(i)));
      await_value<Unit>([&](auto done) { store.put_setup_code(hashes.back(), done); });
    }
    std::atomic<std::size_t> next{0};
    CHECK(concurrent_successes<Unit>(12, [&](auto done) {
            store.consume_setup_code(hashes[next++ % hashes.size()], done);
          }) == 1);
  }
}

TEST_CASE("accounts: memberships are put, ensured, listed by since, and removed", "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-members");
    auto& store = backends->accounts();
    const std::int64_t t = now_ms();

    Membership owner{"housing", "u-fiona", Role::owner, std::nullopt, std::nullopt, t};
    Membership sponsored{"housing", "u-bob", Role::member, "u-fiona", "NHS discharge lead", t + 5};
    Membership tied{"housing", "u-anna", Role::observer, std::nullopt, std::nullopt, t + 5};
    Membership elsewhere{"roads", "u-fiona", Role::member, std::nullopt, std::nullopt, t};
    for (const auto& m : {owner, sponsored, tied, elsewhere}) {
      CHECK(await_value<Membership>([&](auto done) { store.put_member(m, done); }) == m);
    }
    CHECK(await_value<std::optional<Membership>>([&](auto done) { store.get_member("housing", "u-bob", done); }) ==
          sponsored);
    CHECK_FALSE(await_value<std::optional<Membership>>(
        [&](auto done) { store.get_member("housing", "u-nobody", done); }));

    auto list = [&](const std::string& room, int limit) {
      return await_value<std::vector<Membership>>([&](auto done) { store.list_members(room, limit, done); });
    };
    CHECK(list("housing", 10) == std::vector<Membership>{owner, tied, sponsored});  // since, then user id
    CHECK(list("housing", 2) == std::vector<Membership>{owner, tied});
    CHECK(list("housing", 0).empty());
    CHECK(list("nowhere", 10).empty());

    auto rooms = await_value<std::vector<std::string>>([&](auto done) { store.rooms_of("u-fiona", done); });
    std::sort(rooms.begin(), rooms.end());
    CHECK(rooms == std::vector<std::string>{"housing", "roads"});

    // ensure_member keeps what is there; put_member replaces it.
    Membership again{"housing", "u-fiona", Role::member, std::nullopt, std::nullopt, t + 100};
    CHECK(await_value<Membership>([&](auto done) { store.ensure_member(again, done); }) == owner);
    Membership fresh{"housing", "u-rita", Role::member, std::nullopt, std::nullopt, t + 50};
    CHECK(await_value<Membership>([&](auto done) { store.ensure_member(fresh, done); }) == fresh);
    Membership promoted = sponsored;
    promoted.role = Role::facilitator;
    await_value<Membership>([&](auto done) { store.put_member(promoted, done); });
    CHECK(list("housing", 10) == std::vector<Membership>{owner, tied, promoted, fresh});

    CHECK(await_value<Membership>([&](auto done) { store.remove_member("housing", "u-fiona", done); }) == owner);
    CHECK(error_of(await<Membership>([&](auto done) { store.remove_member("housing", "u-fiona", done); })) ==
          ErrorCode::not_found);
    CHECK(await_value<std::vector<std::string>>([&](auto done) { store.rooms_of("u-fiona", done); }) ==
          std::vector<std::string>{"roads"});
    CHECK(list("housing", 10) == std::vector<Membership>{tied, promoted, fresh});
  }
}

TEST_CASE("accounts: the audit log keeps unique increasing times and pages newest first",
          "[contract][accounts]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "accounts-audit");
    auto& store = backends->accounts();
    const std::int64_t t = now_ms();
    const protocol::User fiona{"u-fiona", "Fiona Reid", "essex-cc"};
    protocol::User rita{"u-rita", "Rita Resident", "resident"};
    rita.guest = true;

    CHECK(await_value<std::vector<AuditEvent>>([&](auto done) { store.audit_page(std::nullopt, 10, done); }).empty());
    auto append = [&](AuditEvent event) {
      return await_value<AuditEvent>([&](auto done) { store.append_audit(std::move(event), done); });
    };
    std::vector<AuditEvent> stored;
    stored.push_back(append(AuditEvent{t, fiona, "setup", "essex-cc", "first administrator"}));
    stored.push_back(append(AuditEvent{t, std::nullopt, "sign_in_failed", "127.0.0.1", "bad code"}));
    stored.push_back(append(AuditEvent{t - 50, rita, "sign_in", "u-rita", ""}));
    for (int i = 0; i < 7; ++i) stored.push_back(append(AuditEvent{t + 10 + i, fiona, "export", "housing", ""}));
    CHECK(stored[0].ts == t);
    CHECK(stored[1].ts == t + 1);  // same time: the next ms
    CHECK(stored[2].ts == t + 2);  // earlier than the last: after it
    CHECK(stored[2].actor == rita);
    CHECK_FALSE(stored[1].actor.has_value());

    auto page = [&](std::optional<std::int64_t> before, int limit) {
      return await_value<std::vector<AuditEvent>>([&](auto done) { store.audit_page(before, limit, done); });
    };
    std::vector<AuditEvent> newest_first(stored.rbegin(), stored.rend());
    CHECK(page(std::nullopt, 100) == newest_first);

    // Paging by the ts of the last event seen reads every event once.
    std::vector<AuditEvent> paged;
    std::optional<std::int64_t> before;
    for (int pages = 0; pages < 10; ++pages) {
      auto events = page(before, 3);
      if (events.empty()) break;
      CHECK(events.size() <= 3);
      paged.insert(paged.end(), events.begin(), events.end());
      before = events.back().ts;
    }
    CHECK(paged == newest_first);
    CHECK(page(t + 1, 10) == std::vector<AuditEvent>{stored[0]});
    CHECK(page(t, 10).empty());
    CHECK(page(0, 10).empty());
    CHECK(page(std::nullopt, 0).empty());
  }
}

}  // namespace contract_accounts_test
}  // namespace outloud::testing
