// The accounts service over the SQLite account store: codes work once (even when used at the same
// time), expire, and all fail alike; sessions end at once; organisations come from invitations and
// verified domains, never from the request.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "server/accounts/accounts.hpp"
#include "server/accounts/secrets.hpp"
#include "server/embedded/sqlite_accounts.hpp"

namespace outloud::testing {
namespace accounts_service_test {

using accounts::Accounts;
using accounts::Identity;
using accounts::SignedIn;
using protocol::ErrorCode;

struct Service {
  explicit Service(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("outloud-accounts-" + std::to_string(::getpid()) + "-" + name + ".db")) {
    std::filesystem::remove(path);
    store = std::make_unique<embedded::SqliteAccounts>(path.string());
    accounts::AccountsOptions options;
    options.now_ms = [this] { return clock.load(); };
    options.base_url = [] { return std::string("http://example.test"); };
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
  auto who = await_value<Identity>([&](auto done) { s.service->authenticate(cli.token, done); });
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
  CHECK(await<Identity>([&](auto done) { s.service->authenticate(cli.token, done); }).ok());

  await_value<backend::Unit>([&](auto done) { s.service->end_session(admin, cli.session.id, done); });
  CHECK(code_of(await<Identity>([&](auto done) { s.service->authenticate(cli.token, done); })) ==
        ErrorCode::unauthenticated);
  await_value<backend::Unit>([&](auto done) { s.service->sign_out(bob, done); });
  CHECK(code_of(await<Identity>([&](auto done) { s.service->authenticate(bob_in.token, done); })) ==
        ErrorCode::unauthenticated);
  std::lock_guard lock(mutex);
  CHECK(ended == std::vector<std::string>{cli.session.id, bob_in.session.id});
}

}  // namespace accounts_service_test
}  // namespace outloud::testing
