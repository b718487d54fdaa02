// The accounts service (access.md): the one place that decides who someone is and what they may do
// with accounts, organisations, sessions, invitations, memberships and the audit log. The hub (over
// the WebSocket) and the HTTP layer both call it. Thread-safe, no state of its own beyond its
// options; every call is asynchronous over the AccountStore and audits what it changes.
//
// Errors use protocol error codes: `unauthenticated` (no valid session), `forbidden` (signed in but
// not allowed), `not_found` (bad, used, expired or revoked codes all alike; unknown ids),
// `bad_request` (invalid fields, a missing reason), `conflict` (a taken id or domain).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/server_frames.hpp"
#include "server/accounts/account_store.hpp"
#include "server/limits/limits.hpp"

namespace outloud::accounts {

// Audit actions (accounts.md): the `action` of an AuditEvent.
inline constexpr const char* kAuditSignIn = "sign_in";
inline constexpr const char* kAuditSignInFailed = "sign_in_failed";
inline constexpr const char* kAuditSignOut = "sign_out";
inline constexpr const char* kAuditSessionRevoked = "session_revoked";
inline constexpr const char* kAuditSetup = "setup";
inline constexpr const char* kAuditInvitationCreated = "invitation_created";
inline constexpr const char* kAuditInvitationRedeemed = "invitation_redeemed";
inline constexpr const char* kAuditInvitationRevoked = "invitation_revoked";
inline constexpr const char* kAuditOrgChanged = "org_changed";
inline constexpr const char* kAuditOrgAdminChanged = "org_admin_changed";
inline constexpr const char* kAuditRoomChanged = "room_changed";
inline constexpr const char* kAuditMemberAdded = "member_added";
inline constexpr const char* kAuditMemberRemoved = "member_removed";
inline constexpr const char* kAuditRoleChanged = "role_changed";
inline constexpr const char* kAuditExport = "export";

// A signed-in person on one session.
struct Identity {
  Account account;
  Session session;
};

// The answer of every way of signing in: the account and its new session's token (shown once).
struct SignedIn {
  Account account;
  Session session;
  std::string token;
};

struct SetupRequest {
  std::string code;
  std::string name;      // the administrator's display name, 1..80 characters
  std::string org;       // the organisation's id (slug)
  std::string org_name;  // 1..200 characters
};

// An email to send for email sign-in (the HTTP layer sends it; the service only decides).
struct SignInMail {
  std::string email;
  std::string code;  // the link is <public-url>/#sign-in=<code>
};

struct InviteRequest {
  std::string org;
  std::optional<std::string> room;
  protocol::Role role = protocol::Role::member;
  bool guest = false;
  int uses = 1;
  int hours = 72;
};

struct CreatedInvitation {
  Invitation invitation;
  std::string code;  // shown only in this answer
  std::string url;   // <base>/#invite=<code>
};

// A member as listed by `members`: accounts resolved (an account deleted since shows its id only).
struct MemberView {
  Membership membership;
  protocol::User user;
  std::optional<protocol::User> sponsor;
  // Set by add_member only: whether the person was new to the room, and their role before (as
  // the membership held it) when they were not.
  bool added = false;
  std::optional<protocol::Role> previous_role;
};

// The service's settings; its limits (limits::Accounts, with their defaults) are members through the base.
struct AccountsOptions : limits::Accounts {
  // The invitation and setup links' base: --public-url, else http://<bound address>. Called per link.
  std::function<std::string()> base_url = [] { return std::string("http://localhost"); };
  std::function<std::int64_t()> now_ms;  // the clock; empty: the system clock
};

class Accounts {
 public:
  Accounts(AccountStore& store, AccountsOptions options);
  ~Accounts();
  Accounts(const Accounts&) = delete;
  Accounts& operator=(const Accounts&) = delete;

  // Called with every session that ends (sign-out or revocation), after it is revoked in the store,
  // so the composition can publish it to every node. Set once, before use.
  void on_session_ended(std::function<void(const Session&)> listener);

  // ---- first run and signing in ----
  // With no administrator yet: makes a new setup code (earlier ones stay valid until one is used) and answers it,
  // for the startup line `<base>/setup?code=<code>`; otherwise answers none.
  void first_run(Callback<std::optional<std::string>> done);
  // Whether the first administrator exists, on any node (the store's answer, never a guess).
  void has_admin(Callback<bool> done);
  // Creates the organisation and its first administrator; the code then stops working.
  void setup(SetupRequest request, Callback<SignedIn> done);
  // Redeems an invitation: a new account in its organisation (guest, room and role from it).
  void redeem(std::string code, std::string name, Callback<SignedIn> done);
  // Answers the mail to send, or none when the address matches no organisation's domain and no
  // account (the caller answers the same either way).
  void request_sign_in(std::string email, Callback<std::optional<SignInMail>> done);
  // A first sign-in creates the account in the domain's organisation (`name` required then).
  void confirm_sign_in(std::string code, std::optional<std::string> name, Callback<SignedIn> done);
  // Records a failed attempt (bad code, rate limited) from `address` for the audit log.
  void record_failed_sign_in(std::string what, std::string address);

  // ---- sessions ----
  // The person behind a token; `unauthenticated` if unknown, revoked or unused for longer than
  // session_idle_ms. Refreshes the stored last use at most every touch_interval_ms. `client`: who
  // asks (AttemptLimiter::key_of their address; empty for none): a failed check is audited and
  // counted against it, and past max_failed_token_checks a window its checks answer `rate_limited`.
  void authenticate(std::string token, std::string client, Callback<Identity> done);
  // An open connection on the session is its use too (a tab kept open for weeks is in use): refreshes
  // the stored last use. Whoever holds the connection calls it every session_touch_interval().
  void note_connected(const Session& session);
  std::chrono::milliseconds session_touch_interval() const;
  void sign_out(const Identity& who, Callback<Unit> done);
  // A new session of the same person (for the command-line client).
  void make_token(const Identity& who, Callback<SignedIn> done);
  // One's own sessions; administrators may name anyone's `user`.
  void sessions(const Identity& who, std::optional<std::string> user, Callback<std::vector<Session>> done);
  // Deletes up to session_sweep_batch sessions unused for longer than session_idle_ms (the store
  // does it on its own thread, by index); answers how many, so the caller may go on while it is full.
  void sweep_lapsed_sessions(Callback<int> done);
  // Ends one's own session, or anyone's for an administrator (`not_found` otherwise).
  void end_session(const Identity& who, std::string session, Callback<Unit> done);

  // ---- organisations and people ----
  void orgs(const Identity& who, Callback<std::vector<protocol::Org>> done);  // non-guests
  void put_org(const Identity& who, protocol::Org org, Callback<protocol::Org> done);  // administrators
  void set_org_admin(const Identity& who, std::string user, bool org_admin, Callback<Account> done);  // administrators
  // Non-guests matching `query`; guests see none. Who administers what is told to administrators.
  void people(const Identity& who, std::string query, Callback<std::vector<protocol::Person>> done);
  void get_account(std::string user, Callback<std::optional<Account>> done);

  // ---- invitations ----
  // `room_role`: the inviter's role in request.room (the hub knows it); none when no room or no role.
  // Into an organisation (not a guest): its org administrators and administrators. A guest into one
  // room: that room's owner or facilitators; a guest's role is always member.
  void invite(const Identity& who, InviteRequest request, std::optional<protocol::Role> room_role,
              Callback<CreatedInvitation> done);
  // Those `who` may revoke: their own, their organisation's for org administrators, all for administrators.
  void invitations(const Identity& who, Callback<std::vector<Invitation>> done);
  void revoke_invitation(const Identity& who, std::string invitation, Callback<Unit> done);

  // ---- room memberships (the hub has checked the room exists and the actor's role in it) ----
  void membership(std::string room, std::string user, Callback<std::optional<Membership>> done);
  void rooms_of(std::string user, Callback<std::vector<std::string>> done);
  // Joining an open room, or creating one (as owner): a member from now on, if not already.
  void ensure_member(const protocol::Room& room, const protocol::User& user, protocol::Role role,
                     Callback<Membership> done);
  // Adds or changes `user` in `room`: from another organisation than the room's it needs `reason`
  // (else bad_request; a blank one is no reason, and a reason is kept without its surrounding
  // blanks) and `who` is recorded as sponsor; a guest is never owner or facilitator. Audits
  // `member_added` (with the role, sponsor and reason) or, for a member whose role changes,
  // `role_changed`.
  void add_member(const Identity& who, const protocol::Room& room, std::string user, protocol::Role role,
                  std::optional<std::string> reason, Callback<MemberView> done);
  void remove_member(const Identity& who, const protocol::Room& room, std::string user, Callback<Membership> done);
  void members(std::string room, Callback<std::vector<MemberView>> done);
  // A role given with the `role` frame (the hub has applied it): audited `role_changed` ("room R now
  // ROLE"), and the membership of `membership_room` (the room, or a breakout group's session; none
  // for a role in a breakout group alone) follows, so `members` and later `add`s see it.
  void record_role_change(const Identity& who, std::string room, std::optional<std::string> membership_room,
                          std::string user, protocol::Role role, Callback<Unit> done);

  // ---- audit ----
  // Appends an event (fire and forget: a failure is logged).
  void record(std::optional<protocol::User> actor, std::string action, std::string target, std::string detail);
  void audit(const Identity& who, std::optional<std::int64_t> before, std::optional<int> limit,
             Callback<std::vector<AuditEvent>> done);  // administrators

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace outloud::accounts
