#include "server/net/http_session.hpp"

#include <string_view>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/core/log.hpp"
#include "server/net/attempt_limiter.hpp"
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

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, std::shared_ptr<ServerContext> context)
    : stream_(std::move(socket)), context_(std::move(context)) {}

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
    // The WebSocket has its own timeouts; the HTTP one must not cut it.
    stream_.expires_never();
    std::make_shared<WebSocketSession>(std::move(stream_), context_)->run(std::move(request));
    return;
  }
  if (beast::websocket::is_upgrade(request)) {
    return write(make_error(version, false, http::status::not_found, "Not found"));
  }

  constexpr std::string_view kExportPrefix = "/api/rooms/", kExportSuffix = "/export.md";
  const bool is_export = path.size() > kExportPrefix.size() + kExportSuffix.size() &&
                         path.compare(0, kExportPrefix.size(), kExportPrefix) == 0 &&
                         path.compare(path.size() - kExportSuffix.size(), kExportSuffix.size(), kExportSuffix) == 0;
  const bool known = path == "/healthz" || path == "/metrics" || is_export;
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
                             health_json(context_->node_id, context_->bus.health()));
    res.set(http::field::cache_control, "no-store");
    return write(std::move(res));
  }
  if (path == "/metrics") {
    auto res = make_response(version, keep_alive, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                             context_->metrics.render(context_->store.messages_stored()));
    res.set(http::field::cache_control, "no-store");
    return write(std::move(res));
  }
  if (is_export) {
    return serve_export(request, path.substr(kExportPrefix.size(),
                                             path.size() - kExportPrefix.size() - kExportSuffix.size()));
  }
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

void HttpSession::serve_export(const Request& request, const std::string& room) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
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
  context_->hub->export_markdown(
      room, [self = shared_from_this(), room, version, keep_alive](backend::Result<std::string> result) {
        asio::post(self->stream_.get_executor(), [self, room, version, keep_alive, result = std::move(result)]() mutable {
          if (!result) {
            const auto& error = result.error();
            const auto status = error.code == protocol::ErrorCode::not_found     ? http::status::not_found
                                : error.code == protocol::ErrorCode::unavailable ? http::status::service_unavailable
                                                                                 : http::status::internal_server_error;
            return self->write(make_error(version, keep_alive, status, error.message));
          }
          auto res = make_response(version, keep_alive, http::status::ok, "text/markdown; charset=utf-8",
                                   std::move(result.value()));
          res.set(http::field::content_disposition, "attachment; filename=\"" + room + ".md\"");
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
  std::string client = ec ? std::string("unknown") : AttemptLimiter::key_of(remote.address());
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
