#include "server/net/http_session.hpp"

#include <cctype>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/core/log.hpp"
#include "server/core/process_metrics.hpp"
#include "server/net/export_request.hpp"
#include "server/net/readiness.hpp"
#include "server/net/static_files.hpp"
#include "server/net/websocket_session.hpp"

namespace outloud::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

constexpr std::string_view kServerName = "outloud";
// The page may load only its own resources and connect only to its own origin and WebSockets.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

template <class Fields>
void add_common_headers(Fields& fields) {
  fields.set(http::field::server, kServerName);
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Content-Security-Policy", kContentSecurityPolicy);
  fields.set("Referrer-Policy", "no-referrer");
  fields.set("X-Frame-Options", "DENY");
}

http::response<http::string_body> make_response(unsigned version, bool keep_alive, http::status status,
                                                std::string_view content_type, std::string body) {
  http::response<http::string_body> res{status, version};
  add_common_headers(res);
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> make_error(unsigned version, bool keep_alive, http::status status,
                                             std::string_view text) {
  auto res = make_response(version, keep_alive, status, "text/plain; charset=utf-8", std::string(text) + "\n");
  res.set(http::field::cache_control, "no-store");
  return res;
}

std::string health_json(std::string_view node, std::string_view redis) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("status");
  writer.String("ok");
  writer.Key("node");
  writer.String(node.data(), static_cast<rapidjson::SizeType>(node.size()));
  writer.Key("redis");
  writer.String(redis.data(), static_cast<rapidjson::SizeType>(redis.size()));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool is_read_only(http::verb method) { return method == http::verb::get || method == http::verb::head; }

struct FramingRefusal {
  http::status status;
  std::string_view text;
};

// RFC 9112 6.1 and 6.3: a request whose body length cannot be told for sure is refused, and the
// connection closed, so that no part of it is read as the next request (request smuggling).
std::optional<FramingRefusal> framing_refusal(const http::request_header<>& header) {
  if (header.count(http::field::transfer_encoding) == 0) return std::nullopt;
  if (header.version() < 11) return FramingRefusal{http::status::bad_request, "Transfer-Encoding in an HTTP/1.0 request"};
  if (header.count(http::field::content_length) != 0) {
    return FramingRefusal{http::status::bad_request, "Transfer-Encoding and Content-Length together"};
  }
  std::vector<std::string_view> codings;
  for (auto [it, end] = header.equal_range(http::field::transfer_encoding); it != end; ++it) {
    for (auto coding : http::token_list(it->value())) codings.emplace_back(coding.data(), coding.size());
  }
  if (codings.empty()) return FramingRefusal{http::status::bad_request, "empty Transfer-Encoding"};
  for (std::size_t i = 0; i < codings.size(); ++i) {
    const bool chunked = beast::iequals(codings[i], "chunked");
    if (chunked != (i + 1 == codings.size())) {
      return FramingRefusal{http::status::bad_request, "chunked must be the final transfer coding, and only once"};
    }
    if (!chunked) return FramingRefusal{http::status::not_implemented, "only the chunked transfer coding is supported"};
  }
  return std::nullopt;
}

// RFC 6455 4.2.1: the key is the base64 encoding of 16 bytes, which is 22 characters and "==".
bool is_valid_websocket_key(const http::request_header<>& header) {
  if (header.count(http::field::sec_websocket_key) != 1) return false;
  const std::string_view key = header[http::field::sec_websocket_key];
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (const char c : key.substr(0, 22)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return true;
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, std::shared_ptr<ServerContext> context,
                         Admission::Ticket ticket)
    : stream_(std::move(socket)), context_(std::move(context)), ticket_(std::move(ticket)) {}

void HttpSession::run() {
  // The socket was accepted onto this session's strand; start there.
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
}

void HttpSession::read_request() {
  parser_.emplace();
  head_request_ = false;
  parser_->header_limit(static_cast<std::uint32_t>(context_->http.max_header_bytes));
  parser_->body_limit(context_->http.max_body_bytes);
  stream_.expires_after(context_->http.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(error_code ec) {
  if (ec) return on_read(ec, 0);
  if (const auto refusal = framing_refusal(parser_->get())) {
    log::debug("http: refused request: %s", std::string(refusal->text).c_str());
    return write(make_error(parser_->get().version(), false, refusal->status, refusal->text));
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void HttpSession::on_read(error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == asio::error::eof ||
      ec == asio::error::connection_reset) {
    return;  // the connection is gone or idle: nothing to answer
  }
  if (ec) {
    // A malformed or oversized request: answer, then close (the stream position is unknown).
    const auto status = ec == http::error::body_limit     ? http::status::payload_too_large
                        : ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                          : http::status::bad_request;
    log::debug("http: refused request: %s", ec.message().c_str());
    return write(make_error(11, false, status, http::obsolete_reason(status)));
  }
  route(parser_->release());
}

void HttpSession::route(Request&& request) {
  head_request_ = request.method() == http::verb::head;
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const auto decoded = decode_target_path(request.target());
  if (!decoded || decoded->empty() || decoded->front() != '/') {
    return write(make_error(version, false, http::status::bad_request, "Bad request target"));
  }
  const std::string& path = *decoded;

  // access.md "Origins": a browser's POST or upgrade from a site other than ours is refused.
  if ((!is_read_only(request.method()) || beast::websocket::is_upgrade(request)) &&
      !context_->origins.allows(request.count(http::field::origin) > 0, request[http::field::origin],
                                request[http::field::host])) {
    return write(make_error(version, keep_alive, http::status::forbidden, "Origin not allowed"));
  }
  if (context_->api && context_->api->handles(path)) return serve_api(request, path);
  if (path == "/setup" && is_read_only(request.method())) return serve_static(request, "/");  // the setup link

  if (path == "/ws") {
    if (!beast::websocket::is_upgrade(request)) {
      auto res = make_error(version, keep_alive, http::status::upgrade_required, "WebSocket endpoint: upgrade required");
      res.set(http::field::upgrade, "websocket");
      return write(std::move(res));
    }
    if (!is_valid_websocket_key(request)) {
      return write(make_error(version, false, http::status::bad_request,
                              "Sec-WebSocket-Key must be the base64 encoding of 16 bytes"));
    }
    // The WebSocket has its own timeouts; the HTTP one must not cut it.
    stream_.expires_never();
    std::make_shared<WebSocketSession>(std::move(stream_), context_, std::move(ticket_))->run(std::move(request));
    return;
  }
  if (beast::websocket::is_upgrade(request)) {
    return write(make_error(version, false, http::status::not_found, "Not found"));
  }

  const std::string_view target = request.target();
  const auto question = target.find('?');
  const auto record = export_request(path, question == std::string_view::npos ? std::string_view()
                                                                               : target.substr(question + 1));
  const bool is_export = record.has_value();
  const bool known = path == "/healthz" || path == "/readyz" || path == "/metrics" || is_export;
  if (!is_read_only(request.method())) {
    // Nothing here changes state over HTTP; every route is GET/HEAD only.
    const bool exists = known || resolve_static_file(context_->web_root, path).has_value();
    if (!exists) return write(make_error(version, keep_alive, http::status::not_found, "Not found"));
    auto res = make_error(version, keep_alive, http::status::method_not_allowed, "Method not allowed");
    res.set(http::field::allow, "GET, HEAD");
    return write(std::move(res));
  }

  if (path == "/healthz") {
    auto res = make_response(version, keep_alive, http::status::ok, "application/json",
                             health_json(context_->node_id, redis_state(*context_)));
    res.set(http::field::cache_control, "no-store");
    return write(std::move(res));
  }
  if (path == "/readyz") {
    const Readiness ready = readiness(*context_);
    auto res = make_response(version, keep_alive, ready.ready ? http::status::ok : http::status::service_unavailable,
                             "application/json", readiness_json(ready));
    res.set(http::field::cache_control, "no-store");
    return write(std::move(res));
  }
  if (path == "/metrics") {
    const std::string extra = context_->admission.metrics_text() + core::process_metrics_text() +
                              redis_up_metric(redis_state(*context_));
    auto res = make_response(version, keep_alive, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                             context_->metrics.render(context_->store.messages_stored(), extra));
    res.set(http::field::cache_control, "no-store");
    return write(std::move(res));
  }
  if (record) return serve_export(request, *record);
  serve_static(request, path);
}

void HttpSession::serve_static(const Request& request, const std::string& path) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const auto file = resolve_static_file(context_->web_root, path);
  if (!file) return write(make_error(version, keep_alive, http::status::not_found, "Not found"));

  error_code ec;
  http::file_body::value_type body;
  body.open(file->c_str(), beast::file_mode::scan, ec);
  if (ec) {
    log::warn("http: cannot open %s: %s", file->c_str(), ec.message().c_str());
    return write(make_error(version, keep_alive, http::status::not_found, "Not found"));
  }
  const auto size = body.size();
  const ContentInfo info = content_info(*file);
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, version)};
  add_common_headers(res);
  res.set(http::field::content_type, info.type);
  res.set(http::field::cache_control, info.revalidate ? "no-cache" : "public, max-age=3600");
  res.content_length(size);
  res.keep_alive(keep_alive);
  write(std::move(res));
}

void HttpSession::serve_export(const Request& request, const protocol::Export& record) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const std::string& room = record.room;
  if (!protocol::is_valid_slug(room)) {
    return write(make_error(version, keep_alive, http::status::not_found, "No such room"));
  }
  if (context_->http_authenticator) {
    // jwt mode: the record is for people who may sign in, like the room itself.
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view header = request[http::field::authorization];
    protocol::Hello hello;
    if (header.substr(0, kBearer.size()) == kBearer) hello.token = std::string(header.substr(kBearer.size()));
    if (!hello.token || !context_->http_authenticator(hello)) {
      auto res = make_error(version, keep_alive, http::status::unauthorized, "A valid bearer token is required");
      res.set(http::field::www_authenticate, "Bearer");
      return write(std::move(res));
    }
  }
  // The hub answers on another thread; come back to this session's strand before touching it.
  context_->hub->export_record(
      record, [self = shared_from_this(), record, version, keep_alive](backend::Result<std::string> result) {
        asio::post(self->stream_.get_executor(), [self, record, version, keep_alive, result = std::move(result)]() mutable {
          if (!result) {
            const auto& error = result.error();
            const auto status = error.code == protocol::ErrorCode::not_found     ? http::status::not_found
                                : error.code == protocol::ErrorCode::unavailable ? http::status::service_unavailable
                                : error.code == protocol::ErrorCode::bad_request ? http::status::bad_request
                                : error.code == protocol::ErrorCode::too_large   ? http::status::payload_too_large
                                                                                 : http::status::internal_server_error;
            return self->write(make_error(version, keep_alive, status, error.message));
          }
          auto res = make_response(version, keep_alive, http::status::ok, record_content_type(record),
                                   std::move(result.value()));
          res.set(http::field::content_disposition, "attachment; filename=\"" + record_file_name(record) + "\"");
          res.set(http::field::cache_control, "no-store");
          self->write(std::move(res));
        });
      });
}

void HttpSession::serve_api(const Request& request, const std::string& path) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  error_code ec;
  const auto remote = stream_.socket().remote_endpoint(ec);
  std::string client = ec ? std::string("unknown")
                          : client_key(remote.address(), request["X-Forwarded-For"], context_->trusted_proxies);
  // The answer may come from another thread; come back to this session's strand before touching it.
  context_->api->handle(request, path, std::move(client), context_->hub,
                        [self = shared_from_this(), version, keep_alive](HttpApi::Response res) {
                          asio::post(self->stream_.get_executor(), [self, version, keep_alive, res = std::move(res)]() mutable {
                            add_common_headers(res);
                            res.version(version);
                            res.keep_alive(keep_alive);
                            res.prepare_payload();
                            self->write(std::move(res));
                          });
                        });
}

template <class Response>
void HttpSession::write(Response&& response) {
  using Message = std::decay_t<Response>;
  const bool keep_alive = response.keep_alive();
  stream_.expires_after(context_->http.request_timeout);
  if (head_request_) {
    // Same headers, no body.
    auto bodyless = std::make_shared<http::response<http::empty_body>>(std::move(response.base()));
    response_ = bodyless;
    http::async_write(stream_, *bodyless, [self = shared_from_this(), keep_alive](error_code ec, std::size_t n) {
      self->on_write(keep_alive, ec, n);
    });
    return;
  }
  auto message = std::make_shared<Message>(std::forward<Response>(response));
  response_ = message;
  http::async_write(stream_, *message, [self = shared_from_this(), keep_alive](error_code ec, std::size_t n) {
    self->on_write(keep_alive, ec, n);
  });
}

void HttpSession::on_write(bool keep_alive, error_code ec, std::size_t) {
  response_.reset();
  if (ec) return;
  if (!keep_alive) {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  read_request();
}

}  // namespace outloud::net
