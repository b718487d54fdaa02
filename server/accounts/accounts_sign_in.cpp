// The accounts service: first run, setup, invitations redeemed, email sign-in and sessions.
#include "server/accounts/accounts_impl.hpp"
#include "server/accounts/validation.hpp"

namespace outloud::accounts {

Accounts::Accounts(AccountStore& store, AccountsOptions options)
    : impl_(std::make_shared<Impl>(store, std::move(options))) {}
Accounts::~Accounts() = default;

void Accounts::on_session_ended(std::function<void(const Session&)> listener) {
  std::lock_guard lock(impl_->listener_mutex);
  impl_->on_session_ended = std::move(listener);
}

void Accounts::first_run(Callback<std::optional<std::string>> done) {
  auto impl = impl_;
  impl->store.has_admin([impl, done = std::move(done)](Result<bool> has) mutable {
    if (!has) return done(has.error());
    if (has.value()) return done(std::optional<std::string>());
    auto code = new_secret();
    impl->store.put_setup_code(secret_hash(code), [code, done = std::move(done)](Result<Unit> stored) mutable {
      // Another node's setup ran between the two steps: there is an administrator now.
      if (!stored && stored.error().code == ErrorCode::conflict) return done(std::optional<std::string>());
      if (!stored) return done(stored.error());
      done(std::optional<std::string>(std::move(code)));
    });
  });
}

void Accounts::has_admin(Callback<bool> done) { impl_->store.has_admin(std::move(done)); }

void Accounts::setup(SetupRequest request, Callback<SignedIn> done) {
  if (!is_valid_display_name(request.name)) return done(invalid("name: 1 to 80 characters"));
  if (!protocol::is_valid_slug(request.org)) return done(invalid("org: lower-case letters, digits and . _ ~ -"));
  if (!is_valid_org_name(request.org_name)) return done(invalid("org_name: 1 to 200 characters"));
  auto impl = impl_;
  const auto hash = secret_hash(request.code);
  impl->store.consume_setup_code(hash, [impl, request = std::move(request),
                                        done = std::move(done)](Result<Unit> consumed) mutable {
    if (!consumed) {
      if (consumed.error().code == ErrorCode::not_found) impl->record(std::nullopt, kAuditSignInFailed, "setup", "bad setup code");
      return done(consumed.error().code == ErrorCode::not_found ? missing("this setup link is not valid")
                                                                 : consumed.error());
    }
    protocol::Org org{request.org, request.org_name, {}};
    impl->store.put_org(org, [impl, request = std::move(request), done = std::move(done)](
                                 Result<protocol::Org> org) mutable {
      if (!org) return done(org.error());
      Account admin;
      admin.user = {new_public_id(), request.name, request.org, false};
      admin.admin = true;
      admin.org_admin = true;
      admin.created_at = impl->now();
      impl->store.create_account(admin, [impl, done = std::move(done)](Result<Account> created) mutable {
        if (!created) return done(created.error());
        impl->record(created.value().user, kAuditSetup, created.value().user.org, "first administrator");
        impl->open_session(std::move(created.value()), "setup", std::move(done));
      });
    });
  });
}

void Accounts::redeem(std::string code, std::string name, Callback<SignedIn> done) {
  if (!is_valid_display_name(name)) return done(invalid("name: 1 to 80 characters"));
  auto impl = impl_;
  impl->store.redeem_invitation(secret_hash(code), impl->now(), [impl, name = std::move(name), done = std::move(done)](
                                                                    Result<Invitation> invitation) mutable {
    if (!invitation) {
      if (invitation.error().code != ErrorCode::not_found) return done(invitation.error());
      impl->record(std::nullopt, kAuditSignInFailed, "invitation", "bad, used, expired or revoked invitation code");
      return done(missing("this invitation is not valid"));
    }
    Account account;
    account.user = {new_public_id(), name, invitation.value().org, invitation.value().guest};
    account.created_at = impl->now();
    impl->store.create_account(account, [impl, invitation = std::move(invitation.value()),
                                         done = std::move(done)](Result<Account> created) mutable {
      if (!created) return done(created.error());
      const Account account = created.value();
      std::string detail = "org " + invitation.org + (invitation.guest ? ", guest" : "");
      if (invitation.room) detail += ", room " + *invitation.room + " as " + std::string(protocol::to_string(invitation.role));
      impl->record(account.user, kAuditInvitationRedeemed, invitation.id, detail);
      auto finish = [impl, account, done = std::move(done)]() mutable {
        impl->open_session(account, "invitation", std::move(done));
      };
      if (!invitation.room) return finish();
      // The inviter vouched for this person in that room: recorded as the sponsor.
      Membership member{*invitation.room,
                        account.user.id,
                        // Never a guest facilitator, even from an invitation made before the rule.
                        account.user.guest && invitation.role == protocol::Role::facilitator ? protocol::Role::member
                                                                                             : invitation.role,
                        invitation.created_by,
                        std::string("invitation"),
                        impl->now()};
      impl->store.put_member(std::move(member), [impl, account, finish = std::move(finish)](
                                                    Result<Membership> added) mutable {
        if (!added) log::error("membership from an invitation not stored: %s", added.error().message.c_str());
        else impl->record(account.user, kAuditMemberAdded, account.user.id,
                          "room " + added.value().room + " by invitation from " + added.value().sponsor.value_or(""));
        finish();
      });
    });
  });
}

void Accounts::request_sign_in(std::string email, Callback<std::optional<SignInMail>> done) {
  auto normalized = normalize_email(email);
  if (!normalized) return done(std::optional<SignInMail>());
  auto impl = impl_;
  auto send_code = [impl](std::string email, Callback<std::optional<SignInMail>> done) {
    auto code = new_secret();
    SignInCode stored{secret_hash(code), email, impl->now() + impl->options.sign_in_code_ttl_ms};
    impl->store.create_sign_in_code(std::move(stored), [email, code, done = std::move(done)](Result<Unit> r) mutable {
      if (!r) return done(r.error());
      done(std::optional<SignInMail>(SignInMail{email, code}));
    });
  };
  impl->store.find_account_by_email(*normalized, [impl, email = *normalized, send_code, done = std::move(done)](
                                                     Result<std::optional<Account>> account) mutable {
    if (!account) return done(account.error());
    if (account.value()) return send_code(email, std::move(done));
    impl->store.find_org_by_domain(email_domain(email), [email, send_code, done = std::move(done)](
                                                            Result<std::optional<protocol::Org>> org) mutable {
      if (!org) return done(org.error());
      if (!org.value()) return done(std::optional<SignInMail>());
      send_code(email, std::move(done));
    });
  });
}

void Accounts::confirm_sign_in(std::string code, std::optional<std::string> name, Callback<SignedIn> done) {
  if (name && !is_valid_display_name(*name)) return done(invalid("name: 1 to 80 characters"));
  auto impl = impl_;
  impl->store.consume_sign_in_code(secret_hash(code), impl->now(), [impl, name = std::move(name), done = std::move(done)](
                                                                      Result<SignInCode> code) mutable {
    if (!code) {
      if (code.error().code != ErrorCode::not_found) return done(code.error());
      impl->record(std::nullopt, kAuditSignInFailed, "email", "bad, used or expired sign-in code");
      return done(missing("this sign-in link is not valid"));
    }
    const std::string email = code.value().email;
    impl->store.find_account_by_email(email, [impl, email, name = std::move(name), done = std::move(done)](
                                                 Result<std::optional<Account>> account) mutable {
      if (!account) return done(account.error());
      if (account.value()) return impl->open_session(std::move(*account.value()), "email", std::move(done));
      // A first sign-in: the organisation comes from the verified domain, never from the request.
      impl->store.find_org_by_domain(email_domain(email), [impl, email, name = std::move(name), done = std::move(done)](
                                                              Result<std::optional<protocol::Org>> org) mutable {
        if (!org) return done(org.error());
        if (!org.value()) return done(missing("this sign-in link is not valid"));
        Account account;
        account.user = {new_public_id(), name.value_or(email.substr(0, email.find('@'))), org.value()->id, false};
        if (!is_valid_display_name(account.user.name)) account.user.name = "New member";
        account.email = email;
        account.created_at = impl->now();
        impl->store.create_account(std::move(account), [impl, done = std::move(done)](Result<Account> created) mutable {
          if (!created) return done(created.error());
          impl->open_session(std::move(created.value()), "email, first sign-in", std::move(done));
        });
      });
    });
  });
}

void Accounts::record_failed_sign_in(std::string what, std::string address) {
  impl_->record(std::nullopt, kAuditSignInFailed, std::move(address), std::move(what));
}

// ---- sessions ----

void Accounts::authenticate(std::string token, std::string client, Callback<Identity> done) {
  auto impl = impl_;
  // A wrong token leaves a trace (a stolen or signed-out one being tried shows up in the audit log).
  // Past the limit a wrong one answers rate_limited and is no longer recorded one by one (the log
  // stays bounded); a right one still signs in, so nobody is locked out by a neighbour's guesses.
  auto refused = [impl, client](Callback<Identity>& done) {
    const std::string detail = "unknown, expired or signed-out session token";
    if (client.empty()) {
      impl->record(std::nullopt, kAuditSignInFailed, "session", detail);
      return done(signed_out());
    }
    if (!impl->token_failures.allowed(client)) {
      return done(Error{ErrorCode::rate_limited, "too many failed sign-ins from this address: wait a minute"});
    }
    impl->token_failures.failed(client);
    impl->record(std::nullopt, kAuditSignInFailed, "session", detail + " from " + client);
    if (!impl->token_failures.allowed(client)) {
      // Once per spell: the address has just reached the limit.
      impl->record(std::nullopt, kAuditSignInFailed, client,
                   "reached " + std::to_string(impl->options.max_failed_token_checks) + " failed token checks a minute");
    }
    done(signed_out());
  };
  if (token.empty() || token.size() > 256) return refused(done);
  const auto hash = secret_hash(token);
  impl->store.find_session(hash, [impl, hash, refused, done = std::move(done)](
                                     Result<std::optional<Session>> session) mutable {
    if (!session) return done(session.error());
    // A lapsed session answers exactly as a bad token does (the store drops it later).
    if (!session.value() || session.value()->revoked || !secrets_equal(session.value()->token_hash, hash) ||
        impl->lapsed(*session.value(), impl->now())) {
      return refused(done);
    }
    Session found = std::move(*session.value());
    impl->store.get_account(found.user, [impl, found, refused, done = std::move(done)](
                                            Result<std::optional<Account>> account) mutable {
      if (!account) return done(account.error());
      if (!account.value()) return refused(done);
      const auto now = impl->now();
      if (now - found.last_used >= impl->touch_every()) {
        found.last_used = now;
        impl->store.touch_session(found.id, now, [](Result<Unit>) {});
      }
      done(Identity{std::move(*account.value()), std::move(found)});
    });
  });
}

void Accounts::note_connected(const Session& session) {
  impl_->store.touch_session(session.id, impl_->now(), [](Result<Unit> touched) {
    if (!touched) log::warn("session in use not refreshed: %s", touched.error().message.c_str());
  });
}

std::chrono::milliseconds Accounts::session_touch_interval() const {
  return std::chrono::milliseconds(impl_->touch_every());
}

void Accounts::sign_out(const Identity& who, Callback<Unit> done) {
  auto impl = impl_;
  impl->store.revoke_session(who.session.id, [impl, user = who.account.user, done = std::move(done)](
                                                 Result<Session> revoked) mutable {
    if (!revoked) return done(revoked.error().code == ErrorCode::not_found ? Result<Unit>(Unit{}) : revoked.error());
    impl->record(user, kAuditSignOut, revoked.value().id, "");
    impl->session_ended(revoked.value());
    done(Unit{});
  });
}

void Accounts::make_token(const Identity& who, Callback<SignedIn> done) {
  auto impl = impl_;
  impl->fresh<SignedIn>(who, std::move(done), [impl](Account account, Callback<SignedIn> done) {
    impl->open_session(std::move(account), "token for the command-line client", std::move(done));
  });
}

void Accounts::sessions(const Identity& who, std::optional<std::string> user, Callback<std::vector<Session>> done) {
  auto impl = impl_;
  impl->fresh<std::vector<Session>>(who, std::move(done), [impl, user = std::move(user)](
                                                              Account me, Callback<std::vector<Session>> done) {
    const std::string target = user.value_or(me.user.id);
    if (target != me.user.id && !me.admin) return done(denied("only administrators see other people's sessions"));
    impl->store.list_sessions(target, impl->options.max_list, [impl, done = std::move(done)](
                                                                  Result<std::vector<Session>> listed) mutable {
      if (!listed) return done(listed.error());
      std::erase_if(listed.value(), [&](const Session& s) { return impl->lapsed(s, impl->now()); });
      done(std::move(listed));
    });
  });
}

void Accounts::sweep_lapsed_sessions(Callback<int> done) {
  if (impl_->options.session_idle_ms <= 0) return done(0);
  impl_->store.delete_sessions_unused_since(impl_->now() - impl_->options.session_idle_ms,
                                            impl_->options.session_sweep_batch, std::move(done));
}

void Accounts::end_session(const Identity& who, std::string session, Callback<Unit> done) {
  auto impl = impl_;
  impl->fresh<Unit>(who, std::move(done), [impl, session = std::move(session)](Account me, Callback<Unit> done) {
    impl->store.get_session(session, [impl, me, done = std::move(done)](Result<std::optional<Session>> found) mutable {
      if (!found) return done(found.error());
      // Someone else's session is as unknown as a missing one, unless one is an administrator.
      if (!found.value() || found.value()->revoked || (found.value()->user != me.user.id && !me.admin)) {
        return done(missing("no such session"));
      }
      impl->store.revoke_session(found.value()->id, [impl, me, done = std::move(done)](Result<Session> revoked) mutable {
        if (!revoked) return done(revoked.error());
        impl->record(me.user, kAuditSessionRevoked, revoked.value().id, "session of " + revoked.value().user);
        impl->session_ended(revoked.value());
        done(Unit{});
      });
    });
  });
}

void Accounts::get_account(std::string user, Callback<std::optional<Account>> done) {
  impl_->store.get_account(std::move(user), std::move(done));
}

void Accounts::record(std::optional<protocol::User> actor, std::string action, std::string target, std::string detail) {
  impl_->record(std::move(actor), std::move(action), std::move(target), std::move(detail));
}

}  // namespace outloud::accounts
