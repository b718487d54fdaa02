// AccountStore on Redis, for many nodes on one Redis (key layout: account_keys.hpp). Every call is
// one pipelined command or one Lua script on the node's command connection, so nothing blocks and
// every multi-key step is atomic: of two nodes redeeming one single-use code at once, exactly one
// gets it. Callbacks run on the connection's strand, as the other Redis backends' do.
//
// Expiry is decided by the caller's `now` (as in SQLite); Redis TTLs only tidy up: sign-in codes and
// invitation code keys expire a day after the code does, so nodes whose clocks differ from Redis'
// still agree with the check.
#pragma once

#include <memory>
#include <string>

#include "server/accounts/account_store.hpp"
#include "server/redis/account_keys.hpp"
#include "server/redis/account_scripts.hpp"
#include "server/redis/connection.hpp"
#include "server/redis/replica_wait.hpp"

namespace outloud::redis {

class RedisAccounts final : public accounts::AccountStore {
 public:
  // `key_prefix`: the deployment's prefix (RedisOptions::key_prefix). With `wait`, every write that
  // someone is told succeeded (an account, a session or its revocation, an invitation, a used code,
  // a membership, an audit entry) is confirmed by that many replicas first (WAIT), so that a
  // Sentinel failover cannot undo it: a revoked session or a used code must not come back.
  // `session_idle_ms` (0: never): a session's keys expire that long after its last_used, so Redis
  // itself deletes lapsed sessions (a touch moves the expiry on).
  RedisAccounts(std::shared_ptr<Connection> connection, const std::string& key_prefix, WaitReplicas wait = {},
                std::int64_t session_idle_ms = 0);

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

 private:
  void run(Script& script, std::vector<std::string> keys, std::vector<std::string> args, ReplyCallback done);
  // run() for a script that writes: its reply reaches `done` once replicas confirmed it.
  void write(Script& script, const char* what, std::vector<std::string> keys, std::vector<std::string> args,
             ReplyCallback done);
  // A single write command, likewise.
  void write_command(std::vector<std::string> argv, const char* what, ReplyCallback done);
  void write_member(accounts::Membership member, bool only_if_new, accounts::Callback<accounts::Membership> done);

  std::shared_ptr<Connection> connection_;
  AccountKeys keys_;
  ReplicaWait replicas_;
  std::int64_t session_idle_ms_;
  // Scripts learn their SHA in callbacks on the connection: they live as long as this store, which
  // the composition destroys only after the connection stopped.
  AccountScripts scripts_;
};

}  // namespace outloud::redis
