#include "server/net/http_api.hpp"

#include <charconv>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "outloud/protocol/server_frames.hpp"
#include "server/accounts/accounts.hpp"
#include "server/accounts/validation.hpp"
#include "server/core/log.hpp"
#include "server/mail/mailer.hpp"
#include "server/mail/sign_in_mail.hpp"
#include "server/net/export_request.hpp"
#include "server/net/http_api_body.hpp"
#include "server/net/http_api_json.hpp"

namespace outloud::net {
namespace http = boost::beast::http;
using protocol::ErrorCode;

namespace {

HttpApi::Response response(http::status status, std::string_view type, std::string body) {
  HttpApi::Response res{status, 11};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

HttpApi::Response json(http::status status, std::string body) {
  return response(status, "application/json", std::move(body));
}

HttpApi::Response failure(http::status status, ErrorCode code, std::string_view message) {
  return json(status, error_json(code, message));
}

http::status status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return http::status::bad_request;
    case ErrorCode::unauthenticated: return http::status::unauthorized;
    case ErrorCode::forbidden: return http::status::forbidden;
    case ErrorCode::not_found: return http::status::not_found;
    case ErrorCode::conflict: return http::status::conflict;
    case ErrorCode::rate_limited: return http::status::too_many_requests;
    case ErrorCode::too_large: return http::status::payload_too_large;
    case ErrorCode::unavailable: return http::status::service_unavailable;
    case ErrorCode::internal: break;
  }
  return http::status::internal_server_error;
}

HttpApi::Response failure(const backend::Error& error) {
  // Store trouble is not the caller's business beyond "try again".
  if (error.code == ErrorCode::internal) log::error("api: %s", error.message.c_str());
  // Both arms string_view: a `const char*` arm would make the whole a temporary std::string.
  const std::string_view message =
      error.code == ErrorCode::internal ? std::string_view("internal error") : std::string_view(error.message);
  return failure(status_of(error.code), error.code, message);
}

bool is_json(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != "application/json"[i]) return false;
  }
  return true;
}

template <class Int>
bool parse_whole(std::string_view text, Int min, Int max, Int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && ptr == text.data() + text.size() && out >= min && out <= max;
}

}  // namespace

struct HttpApi::Call {
  std::string path;
  std::string query;
  http::verb method;
  std::string body;
  std::string authorization;
  std::string cookie;
  std::string client;
  std::shared_ptr<core::Hub> hub;
  Respond respond;

  std::optional<std::string> token() const { return request_token(authorization, cookie); }
};

HttpApi::HttpApi(HttpApiSettings settings, accounts::Accounts* accounts,
                 std::shared_ptr<mail::Mailer> mailer, core::Authenticator jwt)
    : settings_(std::move(settings)),
      accounts_(accounts),
      mailer_(std::move(mailer)),
      jwt_(std::move(jwt)),
      failures_(settings_.max_failed_attempts, settings_.attempt_window, settings_.max_tracked_addresses),
      mail_sends_(settings_.max_failed_attempts, settings_.attempt_window, settings_.max_tracked_addresses),
      mail_recipients_(settings_.max_mails_per_recipient, settings_.recipient_window, settings_.max_tracked_addresses) {}

HttpApi::~HttpApi() = default;

bool HttpApi::handles(std::string_view path) const {
  if (path.substr(0, 5) != "/api/") return false;
  // In open and jwt mode the record keeps its own route (the session's), as before accounts.
  return accounts_ || !export_request(path, {});
}

void HttpApi::handle(const Request& request, const std::string& path, std::string client,
                     std::shared_ptr<core::Hub> hub, Respond respond) {
  auto call = std::make_shared<Call>();
  call->path = path;
  const std::string_view target = request.target();
  if (const auto q = target.find('?'); q != std::string_view::npos) call->query = std::string(target.substr(q + 1));
  call->method = request.method();
  call->authorization = std::string(request[http::field::authorization]);
  call->cookie = std::string(request[http::field::cookie]);
  call->client = std::move(client);
  call->hub = std::move(hub);
  call->respond = std::move(respond);

  const bool get = call->method == http::verb::get || call->method == http::verb::head;
  const bool post = call->method == http::verb::post;
  auto method_not_allowed = [&](std::string_view allow) {
    auto res = failure(http::status::method_not_allowed, ErrorCode::bad_request, "method not allowed");
    res.set(http::field::allow, allow);
    call->respond(std::move(res));
  };

  if (path == "/api/me") return get ? me(call) : method_not_allowed("GET, HEAD");
  const bool accounts_post = path == "/api/setup" || path == "/api/redeem" || path == "/api/sign-in" ||
                             path == "/api/sign-in/confirm" || path == "/api/sign-out";
  const auto room = export_request(path, call->query);
  if (!accounts_ || (!accounts_post && path != "/api/audit" && !room)) {
    return call->respond(failure(http::status::not_found, ErrorCode::not_found, "no such endpoint"));
  }
  if (room) return get ? export_record(call, *room) : method_not_allowed("GET, HEAD");
  if (path == "/api/audit") return get ? audit(call) : method_not_allowed("GET, HEAD");
  if (!post) return method_not_allowed("POST");

  // A JSON content type also keeps HTML forms out: they cannot send one without a CORS preflight.
  if (!is_json(request[http::field::content_type])) {
    return call->respond(failure(http::status::unsupported_media_type, ErrorCode::bad_request,
                                 "the body must be JSON (Content-Type: application/json)"));
  }
  if (request.body().size() > settings_.max_body_bytes) {
    return call->respond(failure(http::status::payload_too_large, ErrorCode::too_large, "the body is too large"));
  }
  call->body = request.body();
  if (path == "/api/setup") return setup(call);
  if (path == "/api/redeem") return redeem(call);
  if (path == "/api/sign-in") return sign_in(call);
  if (path == "/api/sign-in/confirm") return confirm(call);
  sign_out(call);
}

void HttpApi::with_identity(std::shared_ptr<Call> call, std::function<void(accounts::Identity)> then) {
  const auto token = call->token();
  if (!token) return call->respond(failure(http::status::unauthorized, ErrorCode::unauthenticated, "sign in first"));
  accounts_->authenticate(*token, call->client, [self = shared_from_this(), call, then = std::move(then)](
                                                    backend::Result<accounts::Identity> identity) mutable {
    if (!identity) return call->respond(self->token_failure(identity.error()));
    then(std::move(identity.value()));
  });
}

HttpApi::Response HttpApi::token_failure(const backend::Error& error) const {
  auto res = failure(error);
  // Too many failed token checks from this address: the same window as failed sign-ins.
  if (error.code == ErrorCode::rate_limited) res.set(http::field::retry_after, std::to_string(settings_.attempt_window.count()));
  return res;
}

// ---- who am I ----

void HttpApi::me(std::shared_ptr<Call> call) {
  const std::string& auth = settings_.auth;
  auto signed_out = [call, auth] { call->respond(json(http::status::unauthorized, signed_out_json(auth, false))); };
  if (accounts_) {
    // Signed out in accounts mode: "setup" is the store's answer; while it cannot give one, 503
    // (the web client asks again) rather than the sign-in page of a server that is not set up.
    auto self = shared_from_this();
    auto signed_out_of_accounts = [self, call, auth] {
      if (self->admin_exists_.load()) {
        return call->respond(json(http::status::unauthorized, signed_out_json(auth, false)));
      }
      self->accounts_->has_admin([self, call, auth](backend::Result<bool> has) {
        if (!has) return call->respond(failure(has.error()));
        if (has.value()) self->set_admin_exists();
        call->respond(json(http::status::unauthorized, signed_out_json(auth, !has.value())));
      });
    };
    const auto token = call->token();
    if (!token) return signed_out_of_accounts();
    return accounts_->authenticate(*token, call->client, [self, call, auth, signed_out_of_accounts](
                                                             backend::Result<accounts::Identity> identity) {
      if (!identity) {
        if (identity.error().code == ErrorCode::unauthenticated) return signed_out_of_accounts();
        return call->respond(self->token_failure(identity.error()));
      }
      auto res = json(http::status::ok, me_json(identity.value().account, auth));
      // A session lapses when unused, not at a fixed date: a browser that uses it keeps its cookie.
      if (const auto cookie = find_cookie(call->cookie, kSessionCookie); cookie && *cookie == call->token()) {
        res.set(http::field::set_cookie, session_cookie(*call->token(), self->settings_.cookie));
      }
      call->respond(std::move(res));
    });
  }
  if (jwt_) {
    // jwt mode: the web client asks with the token it was handed, as a bearer.
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view header = call->authorization;
    if (header.substr(0, kBearer.size()) != kBearer) return signed_out();
    protocol::Hello hello;
    hello.token = std::string(header.substr(kBearer.size()));
    const auto user = jwt_(hello);
    if (!user) return signed_out();
    accounts::Account account;
    account.user = user.value();
    return call->respond(json(http::status::ok, me_json(account, auth)));
  }
  signed_out();  // open mode: nobody is signed in over HTTP; hello names the user
}

// ---- signing in ----

template <class Start>
void HttpApi::limited_sign_in(std::shared_ptr<Call> call, Start start) {
  const auto began = accounts::AttemptLimiter::Clock::now();
  if (!failures_.try_begin(call->client, began)) {
    auto res = failure(http::status::too_many_requests, ErrorCode::rate_limited,
                       "too many failed attempts from this address: wait a minute");
    res.set(http::field::retry_after, std::to_string(settings_.attempt_window.count()));
    return call->respond(std::move(res));
  }
  auto self = shared_from_this();
  start([self, call, began](backend::Result<accounts::SignedIn> signed_in) {
    if (!signed_in) {
      const bool guessed_wrong = signed_in.error().code == ErrorCode::not_found;
      if (!guessed_wrong) {
        self->failures_.succeeded(call->client, began);
      } else if (!self->failures_.allowed(call->client)) {
        // Once per spell: the address has just reached the limit.
        self->accounts_->record_failed_sign_in(
            "reached " + std::to_string(self->settings_.max_failed_attempts) + " failed attempts a minute", call->client);
      }
      return call->respond(failure(signed_in.error()));
    }
    self->failures_.succeeded(call->client, began);
    auto res = json(http::status::ok, signed_in_json(signed_in.value()));
    res.set(http::field::set_cookie, session_cookie(signed_in.value().token, self->settings_.cookie));
    call->respond(std::move(res));
  });
}

void HttpApi::setup(std::shared_ptr<Call> call) {
  auto body = parse_api_body(call->body, {"code", "name", "org", "org_name"});
  if (body.error) return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, *body.error));
  accounts::SetupRequest request{body.take("code"), body.take("name"), body.take("org"), body.take("org_name")};
  auto self = shared_from_this();
  limited_sign_in(call, [self, request = std::move(request)](backend::Callback<accounts::SignedIn> done) mutable {
    self->accounts_->setup(std::move(request), [self, done = std::move(done)](backend::Result<accounts::SignedIn> r) {
      if (r) self->set_admin_exists();
      done(std::move(r));
    });
  });
}

void HttpApi::redeem(std::shared_ptr<Call> call) {
  auto body = parse_api_body(call->body, {"code", "name"});
  if (body.error) return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, *body.error));
  auto self = shared_from_this();
  limited_sign_in(call, [self, code = body.take("code"), name = body.take("name")](
                            backend::Callback<accounts::SignedIn> done) mutable {
    self->accounts_->redeem(std::move(code), std::move(name), std::move(done));
  });
}

void HttpApi::confirm(std::shared_ptr<Call> call) {
  auto body = parse_api_body(call->body, {"code"}, {"name"});
  if (body.error) return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, *body.error));
  auto self = shared_from_this();
  limited_sign_in(call, [self, code = body.take("code"), name = body.take_optional("name")](
                            backend::Callback<accounts::SignedIn> done) mutable {
    self->accounts_->confirm_sign_in(std::move(code), std::move(name), std::move(done));
  });
}

void HttpApi::sign_in(std::shared_ptr<Call> call) {
  if (!mailer_) {
    return call->respond(failure(http::status::not_found, ErrorCode::not_found,
                                 "email sign-in is not enabled on this server (it needs --smtp)"));
  }
  auto body = parse_api_body(call->body, {"email"});
  if (body.error) return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, *body.error));
  std::string email = body.take("email");
  // The answer goes first and is always the same: neither its content nor its timing can depend on
  // whether the address has an account. Looking it up and mailing happen afterwards.
  call->respond(json(http::status::accepted, R"({"ok":true})"));
  if (!mail::is_valid_address(email)) return;
  // Past the limit nothing is sent (a mail bomb costs its sender), and the answer stays the same.
  if (!mail_sends_.try_begin(call->client)) return;
  // Counted as the accounts service will read the address (Ann@Example.ORG is ann@example.org).
  const auto recipient = accounts::normalize_email(email);
  if (!recipient || !mail_recipients_.try_begin(*recipient)) return;
  auto self = shared_from_this();
  accounts_->request_sign_in(std::move(email), [self](backend::Result<std::optional<accounts::SignInMail>> mail) {
    if (!mail) return log::warn("api: sign-in email not prepared: %s", mail.error().message.c_str());
    if (!mail.value()) return;
    self->mailer_->send(mail::sign_in_mail(std::move(mail.value()->email), self->settings_.public_url,
                                           mail.value()->code, self->settings_.sign_in_link_ttl));
  });
}

void HttpApi::sign_out(std::shared_ptr<Call> call) {
  auto body = parse_api_body(call->body, {});
  if (body.error) return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, *body.error));
  auto self = shared_from_this();
  with_identity(call, [self, call](accounts::Identity identity) {
    self->accounts_->sign_out(identity, [self, call](backend::Result<backend::Unit> done) {
      if (!done) return call->respond(failure(done.error()));
      auto res = json(http::status::ok, R"({"ok":true})");
      res.set(http::field::set_cookie, cleared_session_cookie(self->settings_.cookie));
      call->respond(std::move(res));
    });
  });
}

// ---- the audit log ----

void HttpApi::audit(std::shared_ptr<Call> call) {
  std::optional<std::int64_t> before;
  std::optional<int> limit;
  bool csv = false;
  if (const auto text = query_param(call->query, "before")) {
    std::int64_t value = 0;
    if (!parse_whole<std::int64_t>(*text, 0, std::int64_t{1} << 53, value)) {
      return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, "before: a time in ms"));
    }
    before = value;
  }
  if (const auto text = query_param(call->query, "limit")) {
    int value = 0;
    if (!parse_whole<int>(*text, 1, 100'000, value)) {
      return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, "limit: a positive number"));
    }
    limit = value;  // the service caps it
  }
  if (const auto text = query_param(call->query, "format")) {
    if (*text != "csv" && *text != "json") {
      return call->respond(failure(http::status::bad_request, ErrorCode::bad_request, "format: csv or json"));
    }
    csv = *text == "csv";
  }
  auto self = shared_from_this();
  with_identity(call, [self, call, before, limit, csv](accounts::Identity identity) {
    self->accounts_->audit(identity, before, limit, [call, csv](backend::Result<std::vector<accounts::AuditEvent>> events) {
      if (!events) return call->respond(failure(events.error()));
      if (!csv) return call->respond(json(http::status::ok, audit_json(events.value())));
      auto res = response(http::status::ok, "text/csv; charset=utf-8", audit_csv(events.value()));
      res.set(http::field::content_disposition, "attachment; filename=\"outloud-audit.csv\"");
      call->respond(std::move(res));
    });
  });
}

// ---- the record ----

void HttpApi::export_record(std::shared_ptr<Call> call, protocol::Export record) {
  const std::string room = record.room;
  const auto token = call->token();
  if (!token) {
    auto res = failure(http::status::unauthorized, ErrorCode::unauthenticated, "sign in first");
    res.set(http::field::www_authenticate, "Bearer");
    return call->respond(std::move(res));
  }
  with_identity(call, [call, room, record](accounts::Identity identity) {
    if (!protocol::is_valid_slug(room)) {
      return call->respond(failure(http::status::not_found, ErrorCode::not_found, "no such room"));
    }
    // The hub decides, as for the `export` frame: the owner, a facilitator (of the facilitation
    // state) or an administrator; a room hidden from this person is not_found, as one that does not
    // exist; the record carries the label and the permissions given across organisations; audited.
    call->hub->export_record_as(std::move(identity), record, [call, record](backend::Result<std::string> text) {
      if (!text) return call->respond(failure(text.error()));
      auto res = response(http::status::ok, record_content_type(record), std::move(text.value()));
      res.set(http::field::content_disposition, "attachment; filename=\"" + record_file_name(record) + "\"");
      call->respond(std::move(res));
    });
  });
}

}  // namespace outloud::net
