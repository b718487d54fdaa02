// The Redis key layout of accounts mode (server/accounts/account_store.hpp). Every key starts with
// "<prefix>{accounts}:" — the deployment's key prefix (its namespace in the Redis database chosen by
// the URL's /DB), then one hash tag, so every accounts script touches a single cluster slot.
// With A = "<prefix>{accounts}:":
//
//   A org:<id>                hash  name, domains (JSON array, sorted)
//   A orgs                    zset  org ids, all score 0 (listed in id order by ZRANGE BYLEX)
//   A domain:<domain>         string: the id of the organisation the domain belongs to
//   A user:<id>               hash  name, org, guest, email, admin, org_admin, created_at
//   A people                  zset  "<name>\0<id>", score 0: accounts by name then id (find_accounts)
//   A email:<email>           string: user id (emails are unique among accounts)
//   A admins                  set   user ids of the deployment's administrators
//   A session:<id>            hash  token_hash, user, created_at, last_used, revoked; expires at
//                                   last_used + the session lifetime (--session-days), moved on by use
//   A token:<token hash>      string: session id (kept after revocation: find_session sees it revoked);
//                                   expires with its session
//   A sessions:<user>         zset  session ids not revoked, scored by created_at (ids whose session
//                                   expired leave it when the list is read)
//   A invitation:<id>         hash  code_hash, org, room, role, guest, uses_left, expires_at, created_by,
//                                   created_at, revoked
//   A code:<code hash>        string: invitation id, expires with the invitation
//   A invitations             zset  invitation ids neither revoked nor used up, scored by created_at
//                                   (expired ones are dropped from it a day after they expire)
//   A sign-in:<code hash>     hash  email, expires_at; expires with the code
//   A setup-codes             set   the hashes of the setup codes not used yet (one per node start
//                                   before setup; the first used deletes them all)
//   A setup                   string: the one setup code's hash of earlier versions (read, then dropped)
//   A setup-done              string "1" once a setup code was used: no new code is added after
//   A members:<room>          hash  user id -> membership JSON {role, sponsor, reason, since}
//   A members-since:<room>    zset  user ids scored by since (listed by since, then user id)
//   A rooms-of:<user>         set   room ids
//   A audit                   stream: entry id "<ts>-0" (ts unique), fields actor (USER JSON, absent
//                                   for none), action, target, detail; XREVRANGE pages newest first
#pragma once

#include <string>
#include <string_view>

namespace outloud::redis {

class AccountKeys {
 public:
  explicit AccountKeys(const std::string& prefix) : base_(prefix + "{accounts}:") {}

  // The common start of every key, for scripts that build keys of their own.
  const std::string& base() const { return base_; }

  std::string org(std::string_view id) const { return key("org:", id); }
  std::string orgs() const { return base_ + "orgs"; }
  std::string domain(std::string_view domain) const { return key("domain:", domain); }
  std::string user(std::string_view id) const { return key("user:", id); }
  std::string people() const { return base_ + "people"; }
  std::string email(std::string_view email) const { return key("email:", email); }
  std::string admins() const { return base_ + "admins"; }
  std::string session(std::string_view id) const { return key("session:", id); }
  std::string token(std::string_view token_hash) const { return key("token:", token_hash); }
  std::string sessions_of(std::string_view user) const { return key("sessions:", user); }
  std::string invitation(std::string_view id) const { return key("invitation:", id); }
  std::string code(std::string_view code_hash) const { return key("code:", code_hash); }
  std::string invitations() const { return base_ + "invitations"; }
  std::string sign_in(std::string_view code_hash) const { return key("sign-in:", code_hash); }
  std::string setup_codes() const { return base_ + "setup-codes"; }
  std::string legacy_setup() const { return base_ + "setup"; }
  std::string setup_done() const { return base_ + "setup-done"; }
  std::string members(std::string_view room) const { return key("members:", room); }
  std::string members_since(std::string_view room) const { return key("members-since:", room); }
  std::string rooms_of(std::string_view user) const { return key("rooms-of:", user); }
  std::string audit() const { return base_ + "audit"; }

 private:
  std::string key(std::string_view kind, std::string_view id) const {
    std::string out = base_;
    out.append(kind).append(id);
    return out;
  }
  std::string base_;
};

}  // namespace outloud::redis
