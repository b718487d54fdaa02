// The single-node AccountStore: tables in an SQLite file (the message store's file is fine: WAL lets
// both connections work; writes wait for each other through busy_timeout). Every SQLite call runs on
// one worker thread owned by this store, so callers never block; callbacks run on that thread.
// Each request runs in its own transaction (BEGIN IMMEDIATE for writes), which makes redeem and
// consume atomic.
#pragma once

#include <memory>
#include <string>

#include "server/accounts/account_store.hpp"
#include "server/limits/limits.hpp"

namespace outloud::embedded {

class SqliteAccounts final : public accounts::AccountStore {
 public:
  // Opens (creating if needed) the account tables in `path`. Throws std::runtime_error if unusable.
  explicit SqliteAccounts(std::string path, int busy_timeout_ms = limits::Store{}.busy_timeout_ms);
  ~SqliteAccounts() override;  // finishes what is queued, then closes
  SqliteAccounts(const SqliteAccounts&) = delete;
  SqliteAccounts& operator=(const SqliteAccounts&) = delete;

  // Finishes every request already queued, then closes. Later requests get `unavailable`. Idempotent.
  void close();

  void put_org(protocol::Org org, accounts::Callback<protocol::Org> done) override;
  void get_org(std::string id, accounts::Callback<std::optional<protocol::Org>> done) override;
  void list_orgs(accounts::Callback<std::vector<protocol::Org>> done) override;
  void find_org_by_domain(std::string domain, accounts::Callback<std::optional<protocol::Org>> done) override;

  void create_account(accounts::Account account, accounts::Callback<accounts::Account> done) override;
  void get_account(std::string user, accounts::Callback<std::optional<accounts::Account>> done) override;
  void find_account_by_email(std::string email, accounts::Callback<std::optional<accounts::Account>> done) override;
  void find_accounts(std::string query, bool include_guests, int limit,
                     accounts::Callback<std::vector<accounts::Account>> done) override;
  void set_org_admin(std::string user, bool org_admin, accounts::Callback<accounts::Account> done) override;
  void has_admin(accounts::Callback<bool> done) override;

  void create_session(accounts::Session session, accounts::Callback<accounts::Unit> done) override;
  void find_session(std::string token_hash, accounts::Callback<std::optional<accounts::Session>> done) override;
  void get_session(std::string id, accounts::Callback<std::optional<accounts::Session>> done) override;
  void touch_session(std::string id, std::int64_t last_used, accounts::Callback<accounts::Unit> done) override;
  void list_sessions(std::string user, int limit, accounts::Callback<std::vector<accounts::Session>> done) override;
  void revoke_session(std::string id, accounts::Callback<accounts::Session> done) override;
  void delete_sessions_unused_since(std::int64_t before, int limit, accounts::Callback<int> done) override;

  void create_invitation(accounts::Invitation invitation, accounts::Callback<accounts::Unit> done) override;
  void get_invitation(std::string id, accounts::Callback<std::optional<accounts::Invitation>> done) override;
  void redeem_invitation(std::string code_hash, std::int64_t now,
                         accounts::Callback<accounts::Invitation> done) override;
  void list_invitations(std::int64_t now, int limit,
                        accounts::Callback<std::vector<accounts::Invitation>> done) override;
  void revoke_invitation(std::string id, accounts::Callback<accounts::Invitation> done) override;

  void create_sign_in_code(accounts::SignInCode code, accounts::Callback<accounts::Unit> done) override;
  void consume_sign_in_code(std::string code_hash, std::int64_t now,
                            accounts::Callback<accounts::SignInCode> done) override;
  void put_setup_code(std::string code_hash, accounts::Callback<accounts::Unit> done) override;
  void consume_setup_code(std::string code_hash, accounts::Callback<accounts::Unit> done) override;

  void put_member(accounts::Membership member, accounts::Callback<accounts::Membership> done) override;
  void ensure_member(accounts::Membership member, accounts::Callback<accounts::Membership> done) override;
  void get_member(std::string room, std::string user,
                  accounts::Callback<std::optional<accounts::Membership>> done) override;
  void list_members(std::string room, int limit, accounts::Callback<std::vector<accounts::Membership>> done) override;
  void rooms_of(std::string user, accounts::Callback<std::vector<std::string>> done) override;
  void remove_member(std::string room, std::string user, accounts::Callback<accounts::Membership> done) override;

  void append_audit(accounts::AuditEvent event, accounts::Callback<accounts::AuditEvent> done) override;
  void audit_page(std::optional<std::int64_t> before, int limit,
                  accounts::Callback<std::vector<accounts::AuditEvent>> done) override;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace outloud::embedded
