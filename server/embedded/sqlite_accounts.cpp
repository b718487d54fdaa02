#include "server/embedded/sqlite_accounts.hpp"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "server/core/log.hpp"
#include "server/embedded/sqlite_accounts_schema.hpp"
#include "server/embedded/sqlite_failure.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded {

using accounts::Account;
using accounts::AuditEvent;
using accounts::Invitation;
using accounts::Membership;
using accounts::Session;
using accounts::SignInCode;
using accounts::Unit;
using backend::Callback;
using backend::Error;
using backend::Result;
using protocol::ErrorCode;
using protocol::Org;

namespace {

constexpr const char* kAccountColumns = "id, name, org, guest, email, admin, org_admin, created_at";
constexpr const char* kSessionColumns = "id, token_hash, user_id, created_at, last_used, revoked";
constexpr const char* kInvitationColumns =
    "id, code_hash, org, room, role, guest, uses_left, expires_at, created_by, created_at, revoked";
constexpr const char* kMemberColumns = "room, user_id, role, sponsor, reason, since";
constexpr const char* kAuditColumns = "ts, actor_id, actor_name, actor_org, actor_guest, action, target, detail";

std::string sql(const char* head, const char* columns, const char* tail) {
  return std::string(head) + columns + tail;
}

Account read_account(const sqlite::Use& row) {
  Account a;
  a.user = {row.text(0), row.text(1), row.text(2), row.int64(3) != 0};
  a.email = row.optional_text(4);
  a.admin = row.int64(5) != 0;
  a.org_admin = row.int64(6) != 0;
  a.created_at = row.int64(7);
  return a;
}

Session read_session(const sqlite::Use& row) {
  return Session{row.text(0), row.text(1), row.text(2), row.int64(3), row.int64(4), row.int64(5) != 0};
}

Invitation read_invitation(const sqlite::Use& row) {
  Invitation i;
  i.id = row.text(0);
  i.code_hash = row.text(1);
  i.org = row.text(2);
  i.room = row.optional_text(3);
  i.role = protocol::role_from(row.text(4)).value_or(protocol::Role::member);
  i.guest = row.int64(5) != 0;
  i.uses_left = static_cast<int>(row.int64(6));
  i.expires_at = row.int64(7);
  i.created_by = row.text(8);
  i.created_at = row.int64(9);
  i.revoked = row.int64(10) != 0;
  return i;
}

Membership read_member(const sqlite::Use& row) {
  Membership m;
  m.room = row.text(0);
  m.user = row.text(1);
  m.role = protocol::role_from(row.text(2)).value_or(protocol::Role::member);
  m.sponsor = row.optional_text(3);
  m.reason = row.optional_text(4);
  m.since = row.int64(5);
  return m;
}

AuditEvent read_audit(const sqlite::Use& row) {
  AuditEvent e;
  e.ts = row.int64(0);
  if (!row.is_null(1)) e.actor = protocol::User{row.text(1), row.text(2), row.text(3), row.int64(4) != 0};
  e.action = row.text(5);
  e.target = row.text(6);
  e.detail = row.text(7);
  return e;
}

Error not_found(std::string message) { return Error{ErrorCode::not_found, std::move(message)}; }

}  // namespace

class SqliteAccounts::Impl {
 public:
  Impl(std::string path, int busy_timeout_ms) : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {
    auto opened = std::make_shared<std::promise<void>>();
    auto opened_future = opened->get_future();
    thread_ = std::thread([this, opened] { run(*opened); });
    try {
      opened_future.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }
  ~Impl() { close(); }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    wake_.notify_one();
    if (std::this_thread::get_id() == thread_.get_id()) return;
    std::lock_guard lock(join_mutex_);
    if (thread_.joinable()) thread_.join();
  }

  // Queues `fn(sqlite3*) -> Result<T>`, run on the worker in one transaction; `done` gets its result
  // after COMMIT, or the failure (sqlite_failure.hpp) if the transaction failed.
  template <class T, class Fn>
  void submit(bool writes, Callback<T> done, Fn fn) {
    auto task = [this, writes, done = std::move(done), fn = std::move(fn)]() mutable {
      std::optional<Result<T>> result;
      try {
        sqlite::exec(db_, writes ? "BEGIN IMMEDIATE" : "BEGIN");
        result.emplace(fn(db_));
        sqlite::exec(db_, result->ok() ? "COMMIT" : "ROLLBACK");
      } catch (const std::exception& e) {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        log::warn("account store: %s", e.what());
        result.emplace(sqlite::failure_of(e, "account store failure"));
      }
      if (done) done(std::move(*result));
    };
    {
      std::lock_guard lock(mutex_);
      if (!closing_) {
        queue_.push_back(std::move(task));
        wake_.notify_one();
        return;
      }
    }
    if (done) done(Result<T>(backend::unavailable("the account store is closed")));
  }

 private:
  void run(std::promise<void>& opened) {
    pthread_setname_np(pthread_self(), "outloud-accounts");
    try {
      open();
    } catch (...) {
      if (db_ != nullptr) sqlite3_close_v2(db_);
      db_ = nullptr;
      {
        std::lock_guard lock(mutex_);
        closing_ = true;
      }
      opened.set_exception(std::current_exception());
      return;
    }
    opened.set_value();
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty() || closing_; });
        if (queue_.empty()) break;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  void open() {
    int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      throw std::runtime_error("cannot open database " + path_ + ": " +
                               (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, busy_timeout_ms_);
    sqlite::exec(db_, "PRAGMA journal_mode=WAL");
    sqlite::exec(db_, "PRAGMA synchronous=FULL");
    sqlite::exec(db_, "BEGIN IMMEDIATE");
    try {
      sqlite::exec(db_, "CREATE TABLE IF NOT EXISTS account_schema (version INTEGER NOT NULL)");
      sqlite::Statement read(db_, "SELECT version FROM account_schema");
      std::int64_t version = 0;
      {
        sqlite::Use use(read);
        if (use.step()) version = use.int64(0);
        else sqlite::exec(db_, "INSERT INTO account_schema(version) VALUES(0)");
      }
      if (version > account_schema::kVersion) {
        throw std::runtime_error(path_ + ": account tables are newer than this build (version " +
                                 std::to_string(version) + ")");
      }
      for (auto v = version; v < account_schema::kVersion; ++v) {
        sqlite::exec(db_, account_schema::kMigrations[static_cast<std::size_t>(v)]);
      }
      sqlite::exec(db_, ("UPDATE account_schema SET version = " + std::to_string(account_schema::kVersion)).c_str());
      sqlite::exec(db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::string path_;
  int busy_timeout_ms_;
  sqlite3* db_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::mutex join_mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool closing_ = false;
};

// ---- helpers run on the worker ----
namespace {

std::vector<std::string> domains_of(sqlite3* db, const std::string& org) {
  sqlite::Statement st(db, "SELECT domain FROM org_domains WHERE org = ?1 ORDER BY domain");
  sqlite::Use use(st);
  use.bind(1, org);
  std::vector<std::string> domains;
  while (use.step()) domains.push_back(use.text(0));
  return domains;
}

std::optional<Org> org_by_id(sqlite3* db, const std::string& id) {
  sqlite::Statement st(db, "SELECT id, name FROM orgs WHERE id = ?1");
  sqlite::Use use(st);
  use.bind(1, id);
  if (!use.step()) return std::nullopt;
  return Org{use.text(0), use.text(1), domains_of(db, id)};
}

std::optional<Account> account_where(sqlite3* db, const char* where, const std::string& value) {
  auto text = sql("SELECT ", kAccountColumns, " FROM accounts WHERE ") + where;
  sqlite::Statement st(db, text.c_str());
  sqlite::Use use(st);
  use.bind(1, value);
  if (!use.step()) return std::nullopt;
  return read_account(use);
}

std::optional<Session> session_where(sqlite3* db, const char* where, const std::string& value) {
  auto text = sql("SELECT ", kSessionColumns, " FROM sessions WHERE ") + where;
  sqlite::Statement st(db, text.c_str());
  sqlite::Use use(st);
  use.bind(1, value);
  if (!use.step()) return std::nullopt;
  return read_session(use);
}

std::optional<Invitation> invitation_where(sqlite3* db, const char* where, const std::string& value) {
  auto text = sql("SELECT ", kInvitationColumns, " FROM invitations WHERE ") + where;
  sqlite::Statement st(db, text.c_str());
  sqlite::Use use(st);
  use.bind(1, value);
  if (!use.step()) return std::nullopt;
  return read_invitation(use);
}

std::optional<Membership> member_of(sqlite3* db, const std::string& room, const std::string& user) {
  auto text = sql("SELECT ", kMemberColumns, " FROM memberships WHERE room = ?1 AND user_id = ?2");
  sqlite::Statement st(db, text.c_str());
  sqlite::Use use(st);
  use.bind(1, room).bind(2, user);
  if (!use.step()) return std::nullopt;
  return read_member(use);
}

void write_member(sqlite3* db, const Membership& m) {
  sqlite::Statement st(db,
                       "INSERT OR REPLACE INTO memberships(room, user_id, role, sponsor, reason, since) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  sqlite::Use use(st);
  use.bind(1, m.room).bind(2, m.user).bind(3, protocol::to_string(m.role)).bind(4, m.sponsor).bind(5, m.reason);
  use.bind(6, m.since).run();
}

// Runs a statement that changes rows, binding text parameters in order; answers the number changed.
template <class... Args>
int change(sqlite3* db, const char* text, const Args&... args) {
  sqlite::Statement st(db, text);
  sqlite::Use use(st);
  int index = 0;
  (use.bind(++index, args), ...);
  use.run();
  return sqlite3_changes(db);
}

}  // namespace

SqliteAccounts::SqliteAccounts(std::string path, int busy_timeout_ms)
    : impl_(std::make_unique<Impl>(std::move(path), busy_timeout_ms)) {}
SqliteAccounts::~SqliteAccounts() { close(); }
void SqliteAccounts::close() { impl_->close(); }

// ---- organisations ----

void SqliteAccounts::put_org(Org org, Callback<Org> done) {
  impl_->submit<Org>(true, std::move(done), [org = std::move(org)](sqlite3* db) mutable -> Result<Org> {
    for (const auto& domain : org.domains) {
      sqlite::Statement st(db, "SELECT org FROM org_domains WHERE domain = ?1");
      sqlite::Use use(st);
      use.bind(1, domain);
      if (use.step() && use.text(0) != org.id) {
        return Error{ErrorCode::conflict, "the domain " + domain + " belongs to another organisation"};
      }
    }
    change(db, "INSERT INTO orgs(id, name) VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
           org.id, org.name);
    change(db, "DELETE FROM org_domains WHERE org = ?1", org.id);
    for (const auto& domain : org.domains) {
      change(db, "INSERT OR IGNORE INTO org_domains(domain, org) VALUES(?1, ?2)", domain, org.id);
    }
    org.domains = domains_of(db, org.id);
    return org;
  });
}

void SqliteAccounts::get_org(std::string id, Callback<std::optional<Org>> done) {
  impl_->submit<std::optional<Org>>(false, std::move(done),
                                    [id = std::move(id)](sqlite3* db) -> Result<std::optional<Org>> {
                                      return org_by_id(db, id);
                                    });
}

void SqliteAccounts::list_orgs(Callback<std::vector<Org>> done) {
  impl_->submit<std::vector<Org>>(false, std::move(done), [](sqlite3* db) -> Result<std::vector<Org>> {
    std::vector<Org> orgs;
    sqlite::Statement st(db, "SELECT id, name FROM orgs ORDER BY id");
    sqlite::Use use(st);
    while (use.step()) orgs.push_back(Org{use.text(0), use.text(1), {}});
    for (auto& org : orgs) org.domains = domains_of(db, org.id);
    return orgs;
  });
}

void SqliteAccounts::find_org_by_domain(std::string domain, Callback<std::optional<Org>> done) {
  impl_->submit<std::optional<Org>>(false, std::move(done),
                                    [domain = std::move(domain)](sqlite3* db) -> Result<std::optional<Org>> {
                                      sqlite::Statement st(db, "SELECT org FROM org_domains WHERE domain = ?1");
                                      sqlite::Use use(st);
                                      use.bind(1, domain);
                                      if (!use.step()) return std::optional<Org>();
                                      return org_by_id(db, use.text(0));
                                    });
}

// ---- people ----

void SqliteAccounts::create_account(Account account, Callback<Account> done) {
  impl_->submit<Account>(true, std::move(done), [account = std::move(account)](sqlite3* db) -> Result<Account> {
    if (account_where(db, "id = ?1", account.user.id)) return Error{ErrorCode::conflict, "the account exists"};
    if (account.email && account_where(db, "email = ?1", *account.email)) {
      return Error{ErrorCode::conflict, "the email belongs to another account"};
    }
    sqlite::Statement st(db,
                         "INSERT INTO accounts(id, name, org, guest, email, admin, org_admin, created_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    sqlite::Use use(st);
    use.bind(1, account.user.id).bind(2, account.user.name).bind(3, account.user.org);
    use.bind(4, std::int64_t{account.user.guest}).bind(5, account.email).bind(6, std::int64_t{account.admin});
    use.bind(7, std::int64_t{account.org_admin}).bind(8, account.created_at).run();
    return account;
  });
}

void SqliteAccounts::get_account(std::string user, Callback<std::optional<Account>> done) {
  impl_->submit<std::optional<Account>>(false, std::move(done),
                                        [user = std::move(user)](sqlite3* db) -> Result<std::optional<Account>> {
                                          return account_where(db, "id = ?1", user);
                                        });
}

void SqliteAccounts::find_account_by_email(std::string email, Callback<std::optional<Account>> done) {
  impl_->submit<std::optional<Account>>(false, std::move(done),
                                        [email = std::move(email)](sqlite3* db) -> Result<std::optional<Account>> {
                                          return account_where(db, "email = ?1", email);
                                        });
}

void SqliteAccounts::find_accounts(std::string query, bool include_guests, int limit,
                                   Callback<std::vector<Account>> done) {
  impl_->submit<std::vector<Account>>(
      false, std::move(done),
      [query = std::move(query), include_guests, limit](sqlite3* db) -> Result<std::vector<Account>> {
        // instr() on lower(): no LIKE wildcards to escape in what people type.
        auto text = sql("SELECT ", kAccountColumns,
                        " FROM accounts WHERE (?1 = '' OR instr(lower(name), ?1) > 0 OR instr(lower(id), ?1) > 0 "
                        "OR instr(lower(coalesce(email, '')), ?1) > 0) AND (?2 = 1 OR guest = 0) "
                        "ORDER BY name, id LIMIT ?3");
        std::string lowered;
        for (char c : query) lowered.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
        sqlite::Statement st(db, text.c_str());
        sqlite::Use use(st);
        use.bind(1, lowered).bind(2, std::int64_t{include_guests}).bind(3, std::int64_t{limit});
        std::vector<Account> accounts;
        while (use.step()) accounts.push_back(read_account(use));
        return accounts;
      });
}

void SqliteAccounts::set_org_admin(std::string user, bool org_admin, Callback<Account> done) {
  impl_->submit<Account>(true, std::move(done), [user = std::move(user), org_admin](sqlite3* db) -> Result<Account> {
    sqlite::Statement st(db, "UPDATE accounts SET org_admin = ?1 WHERE id = ?2");
    sqlite::Use use(st);
    use.bind(1, std::int64_t{org_admin}).bind(2, user).run();
    auto account = account_where(db, "id = ?1", user);
    if (!account) return not_found("no such person");
    return *account;
  });
}

void SqliteAccounts::has_admin(Callback<bool> done) {
  impl_->submit<bool>(false, std::move(done), [](sqlite3* db) -> Result<bool> {
    sqlite::Statement st(db, "SELECT 1 FROM accounts WHERE admin = 1 LIMIT 1");
    sqlite::Use use(st);
    return use.step();
  });
}

// ---- sessions ----

void SqliteAccounts::create_session(Session session, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [session = std::move(session)](sqlite3* db) -> Result<Unit> {
    sqlite::Statement st(db,
                         "INSERT INTO sessions(id, token_hash, user_id, created_at, last_used, revoked) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    sqlite::Use use(st);
    use.bind(1, session.id).bind(2, session.token_hash).bind(3, session.user).bind(4, session.created_at);
    use.bind(5, session.last_used).bind(6, std::int64_t{session.revoked}).run();
    return Unit{};
  });
}

void SqliteAccounts::find_session(std::string token_hash, Callback<std::optional<Session>> done) {
  impl_->submit<std::optional<Session>>(false, std::move(done),
                                        [hash = std::move(token_hash)](sqlite3* db) -> Result<std::optional<Session>> {
                                          return session_where(db, "token_hash = ?1", hash);
                                        });
}

void SqliteAccounts::get_session(std::string id, Callback<std::optional<Session>> done) {
  impl_->submit<std::optional<Session>>(false, std::move(done),
                                        [id = std::move(id)](sqlite3* db) -> Result<std::optional<Session>> {
                                          return session_where(db, "id = ?1", id);
                                        });
}

void SqliteAccounts::touch_session(std::string id, std::int64_t last_used, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [id = std::move(id), last_used](sqlite3* db) -> Result<Unit> {
    change(db, "UPDATE sessions SET last_used = max(last_used, ?1) WHERE id = ?2", last_used, id);
    return Unit{};
  });
}

void SqliteAccounts::list_sessions(std::string user, int limit, Callback<std::vector<Session>> done) {
  impl_->submit<std::vector<Session>>(
      false, std::move(done), [user = std::move(user), limit](sqlite3* db) -> Result<std::vector<Session>> {
        auto text = sql("SELECT ", kSessionColumns,
                        " FROM sessions WHERE user_id = ?1 AND revoked = 0 ORDER BY created_at DESC, id LIMIT ?2");
        sqlite::Statement st(db, text.c_str());
        sqlite::Use use(st);
        use.bind(1, user).bind(2, std::int64_t{limit});
        std::vector<Session> sessions;
        while (use.step()) sessions.push_back(read_session(use));
        return sessions;
      });
}

void SqliteAccounts::revoke_session(std::string id, Callback<Session> done) {
  impl_->submit<Session>(true, std::move(done), [id = std::move(id)](sqlite3* db) -> Result<Session> {
    auto session = session_where(db, "id = ?1", id);
    if (!session || session->revoked) return not_found("no such session");
    change(db, "UPDATE sessions SET revoked = 1 WHERE id = ?1", id);
    return *session;
  });
}

void SqliteAccounts::delete_sessions_unused_since(std::int64_t before, int limit, Callback<int> done) {
  impl_->submit<int>(true, std::move(done), [before, limit](sqlite3* db) -> Result<int> {
    return change(db,
                  "DELETE FROM sessions WHERE id IN "
                  "(SELECT id FROM sessions WHERE last_used < ?1 ORDER BY last_used LIMIT ?2)",
                  before, std::int64_t{limit});
  });
}

// ---- invitations ----

void SqliteAccounts::create_invitation(Invitation i, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [i = std::move(i)](sqlite3* db) -> Result<Unit> {
    sqlite::Statement st(db,
                         "INSERT INTO invitations(id, code_hash, org, room, role, guest, uses_left, expires_at, "
                         "created_by, created_at, revoked) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    sqlite::Use use(st);
    use.bind(1, i.id).bind(2, i.code_hash).bind(3, i.org).bind(4, i.room).bind(5, protocol::to_string(i.role));
    use.bind(6, std::int64_t{i.guest}).bind(7, std::int64_t{i.uses_left}).bind(8, i.expires_at);
    use.bind(9, i.created_by).bind(10, i.created_at).bind(11, std::int64_t{i.revoked}).run();
    return Unit{};
  });
}

void SqliteAccounts::get_invitation(std::string id, Callback<std::optional<Invitation>> done) {
  impl_->submit<std::optional<Invitation>>(false, std::move(done),
                                           [id = std::move(id)](sqlite3* db) -> Result<std::optional<Invitation>> {
                                             return invitation_where(db, "id = ?1", id);
                                           });
}

void SqliteAccounts::redeem_invitation(std::string code_hash, std::int64_t now, Callback<Invitation> done) {
  impl_->submit<Invitation>(true, std::move(done),
                            [hash = std::move(code_hash), now](sqlite3* db) -> Result<Invitation> {
                              auto invitation = invitation_where(db, "code_hash = ?1", hash);
                              if (!invitation || invitation->revoked || invitation->uses_left <= 0 ||
                                  invitation->expires_at <= now) {
                                return not_found("no such invitation");
                              }
                              change(db, "UPDATE invitations SET uses_left = uses_left - 1 WHERE id = ?1",
                                     invitation->id);
                              invitation->uses_left -= 1;
                              return *invitation;
                            });
}

void SqliteAccounts::list_invitations(std::int64_t now, int limit, Callback<std::vector<Invitation>> done) {
  impl_->submit<std::vector<Invitation>>(false, std::move(done),
                                         [now, limit](sqlite3* db) -> Result<std::vector<Invitation>> {
                                           auto text = sql("SELECT ", kInvitationColumns,
                                                           " FROM invitations WHERE revoked = 0 AND uses_left > 0 "
                                                           "AND expires_at > ?1 ORDER BY created_at DESC, id LIMIT ?2");
                                           sqlite::Statement st(db, text.c_str());
                                           sqlite::Use use(st);
                                           use.bind(1, now).bind(2, std::int64_t{limit});
                                           std::vector<Invitation> list;
                                           while (use.step()) list.push_back(read_invitation(use));
                                           return list;
                                         });
}

void SqliteAccounts::revoke_invitation(std::string id, Callback<Invitation> done) {
  impl_->submit<Invitation>(true, std::move(done), [id = std::move(id)](sqlite3* db) -> Result<Invitation> {
    auto invitation = invitation_where(db, "id = ?1", id);
    if (!invitation) return not_found("no such invitation");
    change(db, "UPDATE invitations SET revoked = 1 WHERE id = ?1", id);
    invitation->revoked = true;
    return *invitation;
  });
}

// ---- codes ----

void SqliteAccounts::create_sign_in_code(SignInCode code, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [code = std::move(code)](sqlite3* db) -> Result<Unit> {
    sqlite::Statement st(db, "INSERT INTO sign_in_codes(code_hash, email, expires_at) VALUES(?1, ?2, ?3)");
    sqlite::Use use(st);
    use.bind(1, code.code_hash).bind(2, code.email).bind(3, code.expires_at).run();
    // Expired codes are of no use: drop them while here, so the table stays small.
    change(db, "DELETE FROM sign_in_codes WHERE expires_at <= ?1", code.expires_at - 24LL * 60 * 60 * 1000);
    return Unit{};
  });
}

void SqliteAccounts::consume_sign_in_code(std::string code_hash, std::int64_t now, Callback<SignInCode> done) {
  impl_->submit<SignInCode>(true, std::move(done),
                            [hash = std::move(code_hash), now](sqlite3* db) -> Result<SignInCode> {
                              sqlite::Statement st(db,
                                                   "SELECT code_hash, email, expires_at FROM sign_in_codes "
                                                   "WHERE code_hash = ?1");
                              SignInCode code;
                              {
                                sqlite::Use use(st);
                                use.bind(1, hash);
                                if (!use.step()) return not_found("no such code");
                                code = SignInCode{use.text(0), use.text(1), use.int64(2)};
                              }
                              change(db, "DELETE FROM sign_in_codes WHERE code_hash = ?1", hash);
                              if (code.expires_at <= now) return not_found("no such code");
                              return code;
                            });
}

void SqliteAccounts::put_setup_code(std::string code_hash, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [hash = std::move(code_hash)](sqlite3* db) -> Result<Unit> {
    sqlite::Statement done_st(db,
                              "SELECT EXISTS (SELECT 1 FROM setup_done) OR EXISTS (SELECT 1 FROM accounts WHERE admin = 1)");
    sqlite::Use done_use(done_st);
    if (done_use.step() && done_use.int64(0) != 0) return Error{ErrorCode::conflict, "setup is done"};
    change(db, "INSERT OR IGNORE INTO setup_codes(code_hash) VALUES(?1)", hash);
    return Unit{};
  });
}

void SqliteAccounts::consume_setup_code(std::string code_hash, Callback<Unit> done) {
  impl_->submit<Unit>(true, std::move(done), [hash = std::move(code_hash)](sqlite3* db) -> Result<Unit> {
    // One transaction: of two setups at once, only the first finds its code; it takes every code with it.
    if (change(db, "DELETE FROM setup_codes WHERE code_hash = ?1", hash) != 1) return not_found("no such code");
    sqlite::exec(db, "DELETE FROM setup_codes; INSERT OR IGNORE INTO setup_done(singleton) VALUES(1)");
    return Unit{};
  });
}

// ---- memberships ----

void SqliteAccounts::put_member(Membership member, Callback<Membership> done) {
  impl_->submit<Membership>(true, std::move(done), [m = std::move(member)](sqlite3* db) -> Result<Membership> {
    write_member(db, m);
    return m;
  });
}

void SqliteAccounts::ensure_member(Membership member, Callback<Membership> done) {
  impl_->submit<Membership>(true, std::move(done), [m = std::move(member)](sqlite3* db) -> Result<Membership> {
    if (auto existing = member_of(db, m.room, m.user)) return *existing;
    write_member(db, m);
    return m;
  });
}

void SqliteAccounts::get_member(std::string room, std::string user, Callback<std::optional<Membership>> done) {
  impl_->submit<std::optional<Membership>>(
      false, std::move(done),
      [room = std::move(room), user = std::move(user)](sqlite3* db) -> Result<std::optional<Membership>> {
        return member_of(db, room, user);
      });
}

void SqliteAccounts::list_members(std::string room, int limit, Callback<std::vector<Membership>> done) {
  impl_->submit<std::vector<Membership>>(
      false, std::move(done), [room = std::move(room), limit](sqlite3* db) -> Result<std::vector<Membership>> {
        auto text = sql("SELECT ", kMemberColumns, " FROM memberships WHERE room = ?1 ORDER BY since, user_id LIMIT ?2");
        sqlite::Statement st(db, text.c_str());
        sqlite::Use use(st);
        use.bind(1, room).bind(2, std::int64_t{limit});
        std::vector<Membership> members;
        while (use.step()) members.push_back(read_member(use));
        return members;
      });
}

void SqliteAccounts::rooms_of(std::string user, Callback<std::vector<std::string>> done) {
  impl_->submit<std::vector<std::string>>(false, std::move(done),
                                          [user = std::move(user)](sqlite3* db) -> Result<std::vector<std::string>> {
                                            sqlite::Statement st(db, "SELECT room FROM memberships WHERE user_id = ?1");
                                            sqlite::Use use(st);
                                            use.bind(1, user);
                                            std::vector<std::string> rooms;
                                            while (use.step()) rooms.push_back(use.text(0));
                                            return rooms;
                                          });
}

void SqliteAccounts::remove_member(std::string room, std::string user, Callback<Membership> done) {
  impl_->submit<Membership>(true, std::move(done),
                            [room = std::move(room), user = std::move(user)](sqlite3* db) -> Result<Membership> {
                              auto member = member_of(db, room, user);
                              if (!member) return not_found("not a member");
                              change(db, "DELETE FROM memberships WHERE room = ?1 AND user_id = ?2", room, user);
                              return *member;
                            });
}

// ---- audit ----

void SqliteAccounts::append_audit(AuditEvent event, Callback<AuditEvent> done) {
  impl_->submit<AuditEvent>(true, std::move(done), [e = std::move(event)](sqlite3* db) mutable -> Result<AuditEvent> {
    {
      sqlite::Statement st(db, "SELECT max(ts) FROM audit");
      sqlite::Use use(st);
      if (use.step() && !use.is_null(0)) e.ts = std::max(e.ts, use.int64(0) + 1);
    }
    sqlite::Statement st(db,
                         "INSERT INTO audit(ts, actor_id, actor_name, actor_org, actor_guest, action, target, detail) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    sqlite::Use use(st);
    use.bind(1, e.ts);
    if (e.actor) {
      use.bind(2, e.actor->id).bind(3, e.actor->name).bind(4, e.actor->org).bind(5, std::int64_t{e.actor->guest});
    }
    use.bind(6, e.action).bind(7, e.target).bind(8, e.detail).run();
    return e;
  });
}

void SqliteAccounts::audit_page(std::optional<std::int64_t> before, int limit, Callback<std::vector<AuditEvent>> done) {
  impl_->submit<std::vector<AuditEvent>>(false, std::move(done),
                                         [before, limit](sqlite3* db) -> Result<std::vector<AuditEvent>> {
                                           auto text = sql("SELECT ", kAuditColumns,
                                                           " FROM audit WHERE ts < ?1 ORDER BY ts DESC LIMIT ?2");
                                           sqlite::Statement st(db, text.c_str());
                                           sqlite::Use use(st);
                                           use.bind(1, before.value_or(INT64_MAX)).bind(2, std::int64_t{limit});
                                           std::vector<AuditEvent> events;
                                           while (use.step()) events.push_back(read_audit(use));
                                           return events;
                                         });
}

}  // namespace outloud::embedded
