// Durable state of accounts mode (access.md): organisations, people, sessions, invitations, email
// sign-in codes, the setup code, room memberships and the audit log. Implemented by SQLite (one
// node) and Redis (many nodes); one contract suite runs against both.
//
// Secrets never reach the store: sessions, invitations, sign-in codes and the setup code are kept
// and looked up by the SHA-256 hex of their token or code (accounts/secrets.hpp). Every call is
// asynchronous and never blocks its caller; callbacks may run on any thread (backend::Callback).
// Consuming operations (redeem, consume) are atomic: of two concurrent uses of a single-use code
// exactly one succeeds, even across nodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/backend/result.hpp"

namespace outloud::accounts {

using backend::Callback;
using backend::Unit;

// A person. `user` is what others see (USER); the rest only the service and the person.
struct Account {
  protocol::User user;               // id (random, stable), name, org, guest
  std::optional<std::string> email;  // lower case; unique among accounts when present
  bool admin = false;                // a deployment administrator
  bool org_admin = false;            // an administrator of user.org
  std::int64_t created_at = 0;       // ms since the epoch
  bool operator==(const Account&) const = default;
};

// A signed-in session: one token, one person. Listed and revoked by its `id`, never by its token.
struct Session {
  std::string id;          // random, public (32 hex characters)
  std::string token_hash;  // SHA-256 hex of the token
  std::string user;        // user id
  std::int64_t created_at = 0;
  std::int64_t last_used = 0;
  bool revoked = false;
  bool operator==(const Session&) const = default;
};

struct Invitation {
  std::string id;         // random, public (32 hex characters)
  std::string code_hash;  // SHA-256 hex of the code
  std::string org;        // the new account's organisation
  std::optional<std::string> room;  // the room the new account becomes a member of
  protocol::Role role = protocol::Role::member;  // its role there
  bool guest = false;
  int uses_left = 1;
  std::int64_t expires_at = 0;  // ms since the epoch
  std::string created_by;       // user id
  std::int64_t created_at = 0;
  bool revoked = false;
  bool operator==(const Invitation&) const = default;
};

// A code mailed for email sign-in: single use, 15 minutes.
struct SignInCode {
  std::string code_hash;
  std::string email;  // lower case
  std::int64_t expires_at = 0;
  bool operator==(const SignInCode&) const = default;
};

// A person's place in a room (access.md "Members").
struct Membership {
  std::string room;
  std::string user;  // user id
  protocol::Role role = protocol::Role::member;
  std::optional<std::string> sponsor;  // user id of who gave a permission across organisations
  std::optional<std::string> reason;
  std::int64_t since = 0;  // ms since the epoch
  bool operator==(const Membership&) const = default;
};

struct AuditEvent {
  std::int64_t ts = 0;  // ms; unique and increasing: append makes it max(ts, previous + 1)
  std::optional<protocol::User> actor;  // as the actor was then; none: the server or an anonymous caller
  std::string action;                   // sign_in, invitation_created, ... (accounts.hpp kAudit*)
  std::string target;                   // what it concerned: a user, room, org, invitation or session id
  std::string detail;                   // free text for people: sponsor and reason, the new label, ...
  bool operator==(const AuditEvent&) const = default;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // ---- organisations ----
  // Creates or replaces it. `conflict` if one of its domains belongs to another organisation.
  virtual void put_org(protocol::Org org, Callback<protocol::Org> done) = 0;
  virtual void get_org(std::string id, Callback<std::optional<protocol::Org>> done) = 0;
  virtual void list_orgs(Callback<std::vector<protocol::Org>> done) = 0;  // by id
  virtual void find_org_by_domain(std::string domain, Callback<std::optional<protocol::Org>> done) = 0;

  // ---- people ----
  // `conflict` if the id exists or the email belongs to another account.
  virtual void create_account(Account account, Callback<Account> done) = 0;
  virtual void get_account(std::string user, Callback<std::optional<Account>> done) = 0;
  virtual void find_account_by_email(std::string email, Callback<std::optional<Account>> done) = 0;
  // Accounts whose name, id or email contains `query` (case-insensitive; empty: all), by name then
  // id, at most `limit`; guests only when `include_guests`.
  virtual void find_accounts(std::string query, bool include_guests, int limit,
                             Callback<std::vector<Account>> done) = 0;
  // `not_found` if there is no such account.
  virtual void set_org_admin(std::string user, bool org_admin, Callback<Account> done) = 0;
  virtual void has_admin(Callback<bool> done) = 0;

  // ---- sessions ----
  virtual void create_session(Session session, Callback<Unit> done) = 0;
  // The session with this token hash, revoked or not.
  virtual void find_session(std::string token_hash, Callback<std::optional<Session>> done) = 0;
  virtual void get_session(std::string id, Callback<std::optional<Session>> done) = 0;
  virtual void touch_session(std::string id, std::int64_t last_used, Callback<Unit> done) = 0;
  // A user's sessions that are not revoked, newest first, at most `limit`.
  virtual void list_sessions(std::string user, int limit, Callback<std::vector<Session>> done) = 0;
  // Marks it revoked; the callback gets it as it was before (`not_found` if none or already revoked).
  virtual void revoke_session(std::string id, Callback<Session> done) = 0;
  // Deletes at most `limit` sessions (revoked or not) whose last_used is before `before`, without a
  // full scan; answers how many. A store whose sessions expire on their own may delete none here.
  virtual void delete_sessions_unused_since(std::int64_t before, int limit, Callback<int> done) = 0;

  // ---- invitations ----
  virtual void create_invitation(Invitation invitation, Callback<Unit> done) = 0;
  virtual void get_invitation(std::string id, Callback<std::optional<Invitation>> done) = 0;
  // Atomically takes one use of the invitation with this code hash and answers it (uses_left already
  // decremented). Unknown, used up, expired at `now` or revoked: `not_found`, all alike.
  virtual void redeem_invitation(std::string code_hash, std::int64_t now, Callback<Invitation> done) = 0;
  // Invitations neither revoked, used up nor expired at `now`, newest first, at most `limit`.
  virtual void list_invitations(std::int64_t now, int limit, Callback<std::vector<Invitation>> done) = 0;
  // `not_found` if there is no such invitation; revoking twice is fine.
  virtual void revoke_invitation(std::string id, Callback<Invitation> done) = 0;

  // ---- email sign-in codes and the setup code ----
  virtual void create_sign_in_code(SignInCode code, Callback<Unit> done) = 0;
  // Atomically deletes and answers the code; unknown or expired at `now`: `not_found`.
  virtual void consume_sign_in_code(std::string code_hash, std::int64_t now, Callback<SignInCode> done) = 0;
  // Adds a setup code. Those added before stay valid: each node started before setup prints its own
  // link, and a link handed out must not die because a node restarted. `conflict` once a setup code
  // was used or an administrator exists: no code may outlive the setup.
  virtual void put_setup_code(std::string code_hash, Callback<Unit> done) = 0;
  // If `code_hash` is one of the setup codes, atomically deletes them all (exactly one setup can
  // succeed, whichever node it reaches); else `not_found`.
  virtual void consume_setup_code(std::string code_hash, Callback<Unit> done) = 0;

  // ---- room memberships ----
  // Creates or replaces (room, user).
  virtual void put_member(Membership member, Callback<Membership> done) = 0;
  // Creates it unless (room, user) exists; answers the stored one either way.
  virtual void ensure_member(Membership member, Callback<Membership> done) = 0;
  virtual void get_member(std::string room, std::string user, Callback<std::optional<Membership>> done) = 0;
  // By `since`, then user id, at most `limit`.
  virtual void list_members(std::string room, int limit, Callback<std::vector<Membership>> done) = 0;
  // The ids of the rooms the user is a member of.
  virtual void rooms_of(std::string user, Callback<std::vector<std::string>> done) = 0;
  // The callback gets the removed membership; `not_found` if there was none.
  virtual void remove_member(std::string room, std::string user, Callback<Membership> done) = 0;

  // ---- audit log ----
  // Stores it with ts made unique (see AuditEvent::ts); the callback gets it as stored.
  virtual void append_audit(AuditEvent event, Callback<AuditEvent> done) = 0;
  // Newest first: events with ts < before (none: from the newest), at most `limit`.
  virtual void audit_page(std::optional<std::int64_t> before, int limit, Callback<std::vector<AuditEvent>> done) = 0;
};

}  // namespace outloud::accounts
