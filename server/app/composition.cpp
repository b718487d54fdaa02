#include "server/app/composition.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>

#include "server/accounts/accounts.hpp"
#include "server/core/hub.hpp"
#include "server/core/jwt_authenticator.hpp"
#include "server/core/log.hpp"
#include "server/core/metrics.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/memory_presence.hpp"
#include "server/embedded/sqlite_accounts.hpp"
#include "server/embedded/sqlite_store.hpp"
#include "server/mail/smtp_mailer.hpp"
#include "server/net/config.hpp"
#include "server/net/http_api.hpp"
#include "server/net/listen_address.hpp"
#include "server/net/listener.hpp"
#include "server/redis/redis_backends.hpp"

namespace outloud::app {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// SIGTERM to exit: the contract allows 5 s; the phases (limits::Shutdown) fit inside.
constexpr limits::Shutdown kBudgets{};
constexpr auto kShutdownBudget = kBudgets.total;
constexpr auto kDrainBudget = kBudgets.drain;
constexpr auto kCloseBudget = kBudgets.close;
constexpr auto kWatchdog = kBudgets.watchdog;

// An io_context whose pending handlers can be destroyed (shutdown) while the objects they refer to
// still exist; the destructor would do it only after they are gone.
class IoContext : public asio::io_context {
 public:
  using asio::io_context::io_context;
  void destroy_pending_handlers() { shutdown(); }
};

// The backends of one mode. Members are destroyed in reverse order: the SQLite store (which
// publishes on the bus while it flushes) goes before the bus.
struct BackendSet {
  std::unique_ptr<embedded::EmbeddedBus> embedded_bus;
  std::unique_ptr<embedded::MemoryPresence> memory_presence;
  std::unique_ptr<embedded::SqliteStore> sqlite_store;
  std::unique_ptr<embedded::SqliteAccounts> sqlite_accounts;
  std::unique_ptr<redis::RedisBackends> redis;
  // accounts mode: the account store (the Redis one with --redis, shared by every node) and the
  // service over it; the service goes first.
  accounts::AccountStore* account_store = nullptr;
  std::unique_ptr<accounts::Accounts> accounts;
  backend::Store* store = nullptr;
  backend::Bus* bus = nullptr;
  backend::PresenceRegistry* presence = nullptr;
};

BackendSet make_backends(asio::io_context& io, const Options& options) {
  BackendSet set;
  if (!options.redis_url.empty()) {
    redis::RedisOptions redis_options;
    static_cast<limits::Redis&>(redis_options) = options.limits.redis;
    redis_options.url = options.redis_url;
    redis_options.node_id = options.node_id;
    redis_options.presence = options.limits.presence;
    redis_options.session_idle_ms = options.auth == "accounts" ? options.limits.accounts.session_idle_ms : 0;
    set.redis = redis::make_redis_backends(io, std::move(redis_options));
    set.store = &set.redis->store();
    set.bus = &set.redis->bus();
    set.presence = &set.redis->presence();
    set.account_store = &set.redis->accounts();
    return set;
  }
  set.embedded_bus = std::make_unique<embedded::EmbeddedBus>();
  set.memory_presence = std::make_unique<embedded::MemoryPresence>();
  embedded::SqliteStoreOptions sqlite_options;
  static_cast<limits::Store&>(sqlite_options) = options.limits.store;
  if (options.unsafe_no_fsync) sqlite_options.synchronous = embedded::SqliteStoreOptions::Synchronous::off;
  set.sqlite_store = std::make_unique<embedded::SqliteStore>(options.data, *set.embedded_bus, sqlite_options);
  set.store = set.sqlite_store.get();
  set.bus = set.embedded_bus.get();
  set.presence = set.memory_presence.get();
  if (options.auth == "accounts") {
    set.sqlite_accounts = std::make_unique<embedded::SqliteAccounts>(options.data, options.limits.store.busy_timeout_ms);
    set.account_store = set.sqlite_accounts.get();
  }
  return set;
}

std::vector<std::string> split_labels(const std::string& text) {
  std::vector<std::string> labels;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    labels.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return labels;
}

fs::path find_web_root(const Options& options) {
  std::error_code ec;
  if (!options.web_root.empty()) return fs::canonical(options.web_root, ec);  // checked to be a directory
  auto usable = [&ec](const fs::path& dir) { return fs::is_regular_file(dir / "index.html", ec); };
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path() / ".." / "share" / "outloud" / "web";
    if (usable(installed)) return fs::canonical(installed, ec);
  }
#ifdef OUTLOUD_SOURCE_WEB_DIR
  const fs::path source = OUTLOUD_SOURCE_WEB_DIR;
  if (usable(source)) return fs::canonical(source, ec);
#endif
  return {};
}

backend::Result<core::Authenticator> make_authenticator(const Options& options) {
  if (options.auth == "jwt") {
    core::JwtOptions jwt;
    static_cast<limits::Jwt&>(jwt) = options.limits.jwt;
    jwt.key = options.jwt_key;
    jwt.algorithm = options.jwt_algorithm;
    jwt.audience = options.jwt_audience;
    jwt.issuer = options.jwt_issuer;
    jwt.allow_no_exp = options.jwt_allow_no_exp;
    return core::jwt_authenticator(std::move(jwt));
  }
  return core::open_authenticator();
}

// The server's own address for links: --public-url, else http://<listen host>:<bound port>.
std::string base_url(const Options& options, const net::ListenAddress& address, std::uint16_t bound_port) {
  if (!options.public_url.empty()) return options.public_url;
  std::string host = address.host;
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = "localhost";  // a wildcard is not an address to open
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(bound_port);
}

// Accounts mode, first run: one line with the setup link, on every start until it is used.
// With --redis the store may not be connected yet at start: `unavailable` is tried again each second.
void announce_first_run(accounts::Accounts& accounts, std::shared_ptr<net::HttpApi> api, std::string base,
                        asio::io_context& io) {
  accounts.first_run([&accounts, &io, api, base](backend::Result<std::optional<std::string>> code) {
    if (!code && code.error().code == protocol::ErrorCode::unavailable) {
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(1));
      timer->async_wait([&accounts, &io, api, base, timer](boost::system::error_code error) {
        if (!error) announce_first_run(accounts, api, base, io);
      });
      return;
    }
    if (!code) return log::error("first run: cannot make a setup code: %s", code.error().message.c_str());
    if (!code.value()) return api->set_admin_exists();
    // Printed whatever the log level, like the listening line: it is how the first administrator starts.
    log::always("first run: open %s/setup?code=%s to create the first organisation and its administrator",
                base.c_str(), code.value()->c_str());
  });
}

// Accounts mode: deletes sessions unused for longer than their lifetime, one bounded store request
// at a time (the store works on its own thread, by index), every `every`; at once again while a
// request comes back full. With Redis their keys expire by themselves and this finds none.
void sweep_lapsed_sessions(accounts::Accounts& accounts, asio::io_context& io, std::chrono::milliseconds every,
                           int batch) {
  auto timer = std::make_shared<asio::steady_timer>(io, every);
  timer->async_wait([&accounts, &io, every, batch, timer](boost::system::error_code error) {
    if (error) return;
    accounts.sweep_lapsed_sessions([&accounts, &io, every, batch](backend::Result<int> swept) {
      if (!swept) log::warn("sessions: cannot delete lapsed sessions: %s", swept.error().message.c_str());
      else if (swept.value() > 0) log::info("sessions: deleted %d unused for longer than their lifetime", swept.value());
      const bool more = swept && swept.value() >= batch;
      asio::post(io, [&accounts, &io, every, batch, more] {
        sweep_lapsed_sessions(accounts, io, more ? std::chrono::milliseconds(0) : every, batch);
      });
    });
  });
}

log::Level level_from(const std::string& name) {
  if (name == "debug") return log::Level::debug;
  if (name == "warn") return log::Level::warn;
  if (name == "error") return log::Level::error;
  return log::Level::info;
}

// A closing handshake may take no longer than shutdown leaves for it.
net::WebSocketLimits websocket_limits(const Options& options) {
  net::WebSocketLimits limits = options.limits.websocket;
  limits.close_timeout = kCloseBudget;
  return limits;
}

// Last resort once shutdown has begun: if the process has not finished within kWatchdog, it exits.
class Watchdog {
 public:
  ~Watchdog() { finish(); }
  void start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || done_) return;
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_for(lock, kWatchdog, [this] { return done_; })) {
        log::error("shutdown did not finish within %lld ms: exiting now", static_cast<long long>(kWatchdog.count()));
        log::flush(std::chrono::milliseconds(300));  // _Exit skips atexit: the lines must be out first
        std::_Exit(1);
      }
    });
  }
  void finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// SIGTERM/SIGINT: stop accepting, let acknowledged writes finish (hub.drain), close every WebSocket
// with 1001, give the closing handshakes a moment, then stop the I/O. Runs on its own strand.
class Shutdown : public std::enable_shared_from_this<Shutdown> {
 public:
  Shutdown(asio::io_context& io, std::shared_ptr<net::Listener> listener, std::shared_ptr<net::ServerContext> context,
           Watchdog& watchdog)
      : io_(io),
        strand_(asio::make_strand(io)),
        listener_(std::move(listener)),
        context_(std::move(context)),
        watchdog_(watchdog),
        deadline_(strand_),
        drain_timer_(strand_),
        poll_timer_(strand_) {}

  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }

  void begin(int signal_number) {
    if (begun_) {
      log::warn("signal %d again: stopping now", signal_number);
      return stop();
    }
    begun_ = true;
    watchdog_.start();
    log::info("signal %d: shutting down (open connections: %zu)", signal_number, context_->sessions.size());
    deadline_.expires_after(kShutdownBudget);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      log::warn("shutdown is taking too long: stopping now");
      self->stop();
    });
    listener_->stop();
    drain_timer_.expires_after(kDrainBudget);
    drain_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      log::warn("writes still unacknowledged after %lld ms: closing connections anyway",
                static_cast<long long>(kDrainBudget.count()));
      self->close_sessions();
    });
    context_->hub->drain([self = shared_from_this()] {
      asio::post(self->strand_, [self] {
        self->drain_timer_.cancel();
        self->close_sessions();
      });
    });
  }

 private:
  void close_sessions() {
    if (closing_ || stopped_) return;
    closing_ = true;
    context_->sessions.close_all(1001, "server shutting down");
    wait_for_sessions(std::chrono::steady_clock::now() + kCloseBudget);
  }

  void wait_for_sessions(std::chrono::steady_clock::time_point until) {
    if (stopped_) return;
    // The hub has seen every close once its count of open connections is zero too.
    const bool all_closed = context_->sessions.size() == 0 && context_->metrics.connections_open.load() == 0;
    if (all_closed || std::chrono::steady_clock::now() >= until) return flush_leaves();
    poll_timer_.expires_after(20ms);
    poll_timer_.async_wait([self = shared_from_this(), until](boost::system::error_code ec) {
      if (!ec) self->wait_for_sessions(until);
    });
  }

  // The closes made presence leaves; the hub's drain waits until they are stored and announced, so
  // other nodes see `leave` now rather than when the entries expire (bounded by kShutdownBudget:
  // the entries of connections that did not close in time expire as a dead node's would).
  void flush_leaves() {
    context_->hub->drain([self = shared_from_this()] { asio::post(self->strand_, [self] { self->stop(); }); });
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    deadline_.cancel();
    drain_timer_.cancel();
    poll_timer_.cancel();
    io_.stop();
  }

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<net::Listener> listener_;
  std::shared_ptr<net::ServerContext> context_;
  Watchdog& watchdog_;
  asio::steady_timer deadline_;
  asio::steady_timer drain_timer_;
  asio::steady_timer poll_timer_;
  bool begun_ = false;
  bool closing_ = false;
  bool stopped_ = false;
};

// Runs the io_context on this thread. An exception escaping a handler left some state half
// updated: serving on could corrupt or lose data, so it stops the process loudly (exit code 1)
// instead; the watchdog bounds the teardown.
void run_io(asio::io_context& io, Watchdog& watchdog, std::atomic<bool>& failed) {
  try {
    io.run();
    return;
  } catch (const std::exception& e) {
    log::error("unexpected exception in an I/O thread: %s: stopping", e.what());
  } catch (...) {
    log::error("unexpected exception in an I/O thread: stopping");
  }
  failed = true;
  watchdog.start();
  io.stop();
}

}  // namespace

int run_server(const Options& options) {
  log::threshold().store(level_from(options.log_level));
  // hiredis writes to its sockets with write(): a peer gone must be an error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);

  const auto address = net::parse_listen_address(options.listen);
  if (!address) {
    log::error("--listen: cannot parse '%s'", options.listen.c_str());
    return 2;
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  try {
    endpoints = net::resolve_listen_address(*address);
  } catch (const boost::system::system_error& e) {
    log::error("--listen %s: %s", options.listen.c_str(), e.code().message().c_str());
    return 2;
  }
  if (endpoints.empty()) {
    log::error("--listen %s: the host resolves to no address", options.listen.c_str());
    return 2;
  }

  auto authenticator = make_authenticator(options);
  if (!authenticator) {
    log::error("--auth %s: %s", options.auth.c_str(), authenticator.error().message.c_str());
    return 2;
  }

  const fs::path web_root = find_web_root(options);
  if (web_root.empty()) log::warn("the web client was not found: GET / will answer 404 (see --web-root)");

  // Declaration order is teardown order, reversed: metrics outlive the I/O, the I/O outlives the
  // backends (the Redis ones own sockets of it), the backends outlive the hub's last use of them.
  core::Metrics metrics;
  IoContext io(static_cast<int>(options.threads));
  Watchdog watchdog;
  std::optional<BackendSet> backends;
  try {
    backends.emplace(make_backends(io, options));
  } catch (const std::invalid_argument& e) {
    log::error("--redis: %s", e.what());
    return 2;
  } catch (const std::exception& e) {
    log::error("cannot open the %s: %s", options.redis_url.empty() ? "database" : "Redis backends", e.what());
    return 1;
  }

  // Accounts mode: people, sessions and the audit log, in the database file (or in Redis).
  auto public_base = std::make_shared<std::string>();  // set once the port is bound, before the I/O runs
  if (options.auth == "accounts") {
    accounts::AccountsOptions accounts_options;
    static_cast<limits::Accounts&>(accounts_options) = options.limits.accounts;
    accounts_options.base_url = [public_base] { return *public_base; };
    backends->accounts = std::make_unique<accounts::Accounts>(*backends->account_store, std::move(accounts_options));
  }
  std::shared_ptr<mail::Mailer> mailer;
  if (!options.smtp_url.empty()) {
    mail::SmtpSettings smtp;
    static_cast<limits::Mail&>(smtp) = options.limits.mail;
    smtp.url = options.smtp_url;
    smtp.from = options.smtp_from;
    mailer = std::make_shared<mail::SmtpMailer>(std::move(smtp));
  }
  net::HttpApiSettings api_settings;
  static_cast<limits::Api&>(api_settings) = options.limits.api;
  api_settings.auth = options.auth;
  api_settings.public_url = options.public_url;
  api_settings.cookie.secure = options.public_url.rfind("https://", 0) == 0;
  // The browser keeps the cookie as long as the session would live unused; /api/me renews it.
  api_settings.cookie.max_age = options.limits.accounts.session_idle_ms > 0
                                    ? std::chrono::seconds(options.limits.accounts.session_idle_ms / 1000)
                                    : options.limits.api.session_cookie_max_age;
  api_settings.sign_in_link_ttl = std::chrono::duration_cast<std::chrono::minutes>(
      std::chrono::milliseconds(options.limits.accounts.sign_in_code_ttl_ms));
  auto api = std::make_shared<net::HttpApi>(api_settings, backends->accounts.get(), mailer,
                                            options.auth == "jwt" ? authenticator.value() : core::Authenticator{});

  core::HubOptions hub_options;
  static_cast<limits::Hub&>(hub_options) = options.limits.hub;
  hub_options.node_id = options.node_id;
  hub_options.strands = options.strands;
  hub_options.labels = split_labels(options.labels);
  auto hub = core::Hub::create(io.get_executor(),
                               core::Backends{*backends->store, *backends->bus, *backends->presence,
                                              backends->accounts.get()},
                               hub_options, authenticator.value(), metrics);
  backends->bus->set_handler(hub.get());

  auto context = std::shared_ptr<net::ServerContext>(new net::ServerContext{
      hub, *backends->store, *backends->bus, metrics, options.node_id, web_root, options.limits.http,
      websocket_limits(options), {}, options.auth == "jwt" ? authenticator.value() : core::Authenticator{},
      options.limits.connections,
      net::OriginPolicy(options.public_url, options.allowed_origins), api,
      net::TrustedProxies(options.trusted_proxies)});
  auto listener = std::make_shared<net::Listener>(io, context);

  // Tears down in the only safe order: handlers first (they hold sessions and hub callbacks), then
  // the hub, then the backends (the SQLite store flushes as it closes), the io_context last.
  auto teardown = [&] {
    io.destroy_pending_handlers();
    backends->bus->set_handler(nullptr);
    context->hub.reset();  // sessions still held by the hub refer back to it through the context
    listener.reset();
    context.reset();
    api.reset();
    mailer.reset();  // abandons a message in flight
    hub.reset();
    backends.reset();  // the accounts service, then its store (which finishes what is queued)
  };

  try {
    listener->open(endpoints);
  } catch (const boost::system::system_error& e) {
    log::error("cannot listen on %s: %s", options.listen.c_str(), e.code().message().c_str());
    teardown();
    return 1;
  }
  *public_base = base_url(options, *address, listener->bound().front().port());
  if (backends->accounts) announce_first_run(*backends->accounts, api, *public_base, io);
  if (const auto& limits = options.limits.accounts; backends->accounts && limits.session_idle_ms > 0) {
    // At least as often as sessions lapse (tests shorten the lifetime to seconds).
    const auto every = std::chrono::milliseconds(
        std::clamp<std::int64_t>(limits.session_idle_ms, 1000, limits.session_sweep_interval_ms));
    sweep_lapsed_sessions(*backends->accounts, io, every, limits.session_sweep_batch);
  }
  log::info("node %s: %s, web client %s, %u I/O threads, %u strands, auth %s", options.node_id.c_str(),
            options.redis_url.empty() ? ("database " + options.data).c_str() : ("redis " + redis::redacted_redis_url(options.redis_url)).c_str(),
            web_root.empty() ? "(none)" : web_root.c_str(), options.threads, options.strands, options.auth.c_str());

  auto shutdown = std::make_shared<Shutdown>(io, listener, context, watchdog);
  asio::signal_set signals(shutdown->strand(), SIGINT, SIGTERM);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int number) {
    if (ec) return;
    shutdown->begin(number);
    signals.async_wait(on_signal);  // a second signal cuts the shutdown short
  };
  signals.async_wait(on_signal);
  listener->run();

  asio::steady_timer fault_timer(io);
  if (options.test_fault_after_ms > 0) {
    fault_timer.expires_after(std::chrono::milliseconds(options.test_fault_after_ms));
    fault_timer.async_wait([](boost::system::error_code ec) {
      if (!ec) throw std::runtime_error("fault injected by --test-fault-after-ms");
    });
  }

  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < options.threads; ++i) {
    threads.emplace_back([&io, &watchdog, &failed] { run_io(io, watchdog, failed); });
  }
  run_io(io, watchdog, failed);
  for (auto& thread : threads) thread.join();

  boost::system::error_code ignored;
  signals.cancel(ignored);
  shutdown.reset();
  teardown();
  watchdog.finish();
  if (failed) {
    log::error("stopped after an unexpected exception");
    return 1;
  }
  log::info("stopped");
  return 0;
}

}  // namespace outloud::app
