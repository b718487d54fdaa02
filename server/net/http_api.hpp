// The HTTP side of accounts (access.md): POST /api/setup, /api/redeem, /api/sign-in,
// /api/sign-in/confirm, /api/sign-out; GET /api/me, /api/audit, and the guard of the record's
// export (GET /api/rooms/<room>/export.md) in accounts mode. Bodies are small strict JSON objects;
// answers are JSON ({"error","message"} on failure). The session travels in the outloud_session
// cookie or as "Authorization: Bearer <token>".
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/core/hub.hpp"
#include "server/limits/limits.hpp"
#include "server/accounts/attempt_limiter.hpp"
#include "server/net/cookie.hpp"

namespace outloud::net {
class Accounts;
struct Identity;
}  // namespace outloud::net
namespace outloud::mail {
class Mailer;
}

namespace outloud::net {

// The API's settings; its limits (limits::Api, with their defaults) are members through the base.
struct HttpApiSettings : limits::Api {
  std::string auth = "accounts";   // accounts, open or jwt: what GET /api/me says, which endpoints exist
  std::string public_url;          // the base of emailed links (required with a mailer)
  CookieSettings cookie;
  // Said in the email; the accounts service enforces it.
  std::chrono::minutes sign_in_link_ttl = std::chrono::duration_cast<std::chrono::minutes>(
      std::chrono::milliseconds(limits::Accounts{}.sign_in_code_ttl_ms));
};

class HttpApi : public std::enable_shared_from_this<HttpApi> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  // Called once with the answer, from any thread. The caller sets version, keep-alive and the
  // headers common to every response.
  using Respond = std::function<void(Response)>;

  // `accounts` is null unless in accounts mode (it must outlive every answer in flight); `mailer` null
  // without --smtp; `jwt` set in jwt mode.
  HttpApi(HttpApiSettings settings, accounts::Accounts* accounts,
          std::shared_ptr<mail::Mailer> mailer, core::Authenticator jwt);
  ~HttpApi();

  // Whether the API answers `path` (a decoded path); other paths are the session's.
  bool handles(std::string_view path) const;
  // `client`: AttemptLimiter::key_of the caller's address. `hub` serves the record.
  void handle(const Request& request, const std::string& path, std::string client, std::shared_ptr<core::Hub> hub,
              Respond respond);

  // The first administrator exists: GET /api/me need not ask the store again whether setup is due.
  void set_admin_exists() { admin_exists_.store(true); }

 private:
  struct Call;  // one request being answered
  void me(std::shared_ptr<Call> call);
  void setup(std::shared_ptr<Call> call);
  void redeem(std::shared_ptr<Call> call);
  void sign_in(std::shared_ptr<Call> call);
  void confirm(std::shared_ptr<Call> call);
  void sign_out(std::shared_ptr<Call> call);
  void audit(std::shared_ptr<Call> call);
  void export_record(std::shared_ptr<Call> call, protocol::Export record);
  // Runs `then` with the caller's identity, or answers 401.
  void with_identity(std::shared_ptr<Call> call, std::function<void(accounts::Identity)> then);
  // A failed token check's answer: 401, or 429 with Retry-After past the limit of failures.
  Response token_failure(const backend::Error& error) const;
  // setup, redeem and confirm: limited per address, counted as failed unless the code was right.
  template <class Start>
  void limited_sign_in(std::shared_ptr<Call> call, Start start);

  HttpApiSettings settings_;
  accounts::Accounts* accounts_;
  std::shared_ptr<mail::Mailer> mailer_;
  core::Authenticator jwt_;
  accounts::AttemptLimiter failures_;     // failed setup/redeem/confirm per address
  accounts::AttemptLimiter mail_sends_;   // sign-in emails asked for per address: past the limit, none is sent
  accounts::AttemptLimiter mail_recipients_;  // sign-in emails per recipient (normalized), whoever asks
  // Until known true, a signed-out GET /api/me asks the store: a node that has just started, or
  // one whose neighbour ran the setup, never tells a browser a guess.
  std::atomic<bool> admin_exists_{false};
};

}  // namespace outloud::net
