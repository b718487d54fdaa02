// Private to the accounts service: its shared state and the helpers its operations chain.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include "server/accounts/accounts.hpp"
#include "server/accounts/attempt_limiter.hpp"
#include "server/accounts/secrets.hpp"
#include "server/core/log.hpp"

namespace outloud::accounts {

using backend::Error;
using backend::Result;
using protocol::ErrorCode;

inline Error denied(std::string message) { return Error{ErrorCode::forbidden, std::move(message)}; }
inline Error invalid(std::string message) { return Error{ErrorCode::bad_request, std::move(message)}; }
inline Error missing(std::string message) { return Error{ErrorCode::not_found, std::move(message)}; }
inline Error signed_out() { return Error{ErrorCode::unauthenticated, "sign in first"}; }

class Accounts::Impl : public std::enable_shared_from_this<Accounts::Impl> {
 public:
  Impl(AccountStore& store, AccountsOptions options)
      : store(store),
        options(std::move(options)),
        token_failures(this->options.max_failed_token_checks, this->options.token_check_window,
                       this->options.max_tracked_addresses) {}

  AccountStore& store;
  AccountsOptions options;
  AttemptLimiter token_failures;  // failed token checks per client address

  std::int64_t now() const {
    if (options.now_ms) return options.now_ms();
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // Whether a session has gone unused for longer than its lifetime (never, with no lifetime).
  bool lapsed(const Session& session, std::int64_t at) const {
    return options.session_idle_ms > 0 && at - session.last_used >= options.session_idle_ms;
  }
  // How stale a session's stored last_used may get: a tenth of the lifetime at most, so a session
  // in use never lapses for want of a write.
  std::int64_t touch_every() const {
    if (options.session_idle_ms <= 0) return options.touch_interval_ms;
    return std::min(options.touch_interval_ms, std::max<std::int64_t>(options.session_idle_ms / 10, 1));
  }

  void session_ended(const Session& session) {
    std::function<void(const Session&)> listener;
    {
      std::lock_guard lock(listener_mutex);
      listener = on_session_ended;
    }
    if (listener) listener(session);
  }

  void record(std::optional<protocol::User> actor, std::string action, std::string target, std::string detail) {
    AuditEvent event{now(), std::move(actor), std::move(action), std::move(target), std::move(detail)};
    store.append_audit(std::move(event), [](Result<AuditEvent> stored) {
      if (!stored) log::error("audit event not stored: %s", stored.error().message.c_str());
    });
  }

  // Re-reads the person behind `who`, so rights given or taken since sign-in count now.
  template <class T, class Fn>
  void fresh(const Identity& who, Callback<T> done, Fn fn) {
    store.get_account(who.account.user.id,
                      [done = std::move(done), fn = std::move(fn)](Result<std::optional<Account>> account) mutable {
                        if (!account) return done(account.error());
                        if (!account.value()) return done(signed_out());
                        fn(std::move(*account.value()), std::move(done));
                      });
  }

  // A new session for `account`: its token is answered once, only its hash is stored.
  void open_session(Account account, std::string how, Callback<SignedIn> done) {
    SignedIn signed_in;
    signed_in.token = new_secret();
    signed_in.session = Session{new_public_id(), secret_hash(signed_in.token), account.user.id, now(), now(), false};
    signed_in.account = std::move(account);
    auto self = shared_from_this();
    auto session = signed_in.session;
    store.create_session(std::move(session), [self, signed_in = std::move(signed_in), how = std::move(how),
                                              done = std::move(done)](Result<Unit> created) mutable {
      if (!created) return done(created.error());
      self->record(signed_in.account.user, kAuditSignIn, signed_in.account.user.id, how);
      done(std::move(signed_in));
    });
  }

  std::mutex listener_mutex;
  std::function<void(const Session&)> on_session_ended;
};

}  // namespace outloud::accounts
