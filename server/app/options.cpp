#include "server/app/options.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "server/core/process_metrics.hpp"
#include "server/mail/mailer.hpp"
#include "server/net/listen_address.hpp"
#include "server/net/client_address.hpp"
#include "server/net/origin_policy.hpp"
#include "server/redis/redis_url.hpp"

namespace outloud::app {
namespace po = boost::program_options;

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whole numbers are parsed by hand: program_options would read "-1" into an unsigned as a huge value.
std::size_t whole_number(const std::string& flag, const std::string& text, std::size_t min, std::size_t max) {
  unsigned long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    throw UsageError("--" + flag + ": expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + text + "'");
  }
  return static_cast<std::size_t>(value);
}

// A secret kept in a file rather than on the command line, which `ps` shows to every local user:
// the file's text without the whitespace an editor leaves at its end (`trailing`).
std::string read_secret_file(const std::string& flag, const std::string& path, std::string_view trailing) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UsageError("--" + flag + ": cannot read '" + path + "'");
  std::ostringstream text;
  text << file.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && trailing.find(secret.back()) != std::string_view::npos) secret.pop_back();
  if (secret.empty()) throw UsageError("--" + flag + ": '" + path + "' is empty");
  return secret;
}

// `--flag URL` or `--flag-url-file PATH`, not both: the URL either way.
void url_from_file(std::string& url, const std::string& path, const std::string& flag) {
  if (path.empty()) return;
  if (!url.empty()) throw UsageError("give either --" + flag + " or --" + flag + "-url-file, not both");
  url = read_secret_file(flag + "-url-file", path, " \t\r\n");
}

double real_number(const std::string& flag, const std::string& text, double min, double max, bool min_exclusive) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const bool below = min_exclusive ? value <= min : value < min;
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value) || below || value > max) {
    std::ostringstream range;
    range << (min_exclusive ? "greater than " : "from ") << min << (min_exclusive ? " and at most " : " to ") << max;
    throw UsageError("--" + flag + ": expected a number " + range.str() + ", got '" + text + "'");
  }
  return value;
}

bool is_valid_node_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string default_node_id() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && is_valid_node_id(name)) return name;
  return "node-1";
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

// Unity builds put several .cpp files in one translation unit: these helpers keep a name of their own.
namespace option_values {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

std::string seconds_text(std::chrono::milliseconds duration) {
  return format_number(std::chrono::duration<double>(duration).count());
}

std::chrono::milliseconds from_seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
}

std::chrono::milliseconds whole_ms(const std::string& flag, const std::string& text, std::size_t min, std::size_t max) {
  return std::chrono::milliseconds(whole_number(flag, text, min, max));
}

}  // namespace option_values

ParsedOptions parse_options(int argc, const char* const argv[]) {
  ParsedOptions parsed;
  Options& o = parsed.options;
  const Options defaults;

  const limits::Limits& d = defaults.limits;
  limits::Limits& l = o.limits;

  // Numbers arrive as text and are checked below, with the range in the message; the defaults shown
  // by --help are those of limits/limits.hpp.
  std::string threads, strands, max_frame_bytes = std::to_string(d.websocket.max_frame_bytes),
                       max_message_chars = std::to_string(d.websocket.max_message_chars),
                       max_queue_bytes = std::to_string(d.websocket.max_queue_bytes),
                       max_queue_frames = std::to_string(d.websocket.max_queue_frames),
                       slow_grace = option_values::seconds_text(d.websocket.slow_grace),
                       rate_limit = format_number(d.websocket.rate_limit),
                       rate_burst = format_number(d.websocket.rate_burst),
                       max_rooms = std::to_string(d.hub.max_rooms_per_connection),
                       ping_interval = option_values::seconds_text(d.websocket.ping_interval),
                       idle_timeout = option_values::seconds_text(d.websocket.idle_timeout),
                       presence_ttl = std::to_string(d.presence.ttl.count()),
                       presence_refresh = std::to_string(d.presence.refresh.count()),
                       presence_sweep = std::to_string(d.presence.sweep.count()), test_fault_after_ms = "0",
                       test_breakout_minute_ms = std::to_string(d.hub.facilitation.minute_ms),
                       session_days = std::to_string(d.accounts.session_idle_ms / option_values::kDayMs), test_session_seconds = "0", test_store_max_pages = "0",
                       hello_timeout = option_values::seconds_text(d.websocket.hello_timeout),
                       max_connections = std::to_string(d.connections.max_connections),
                       max_connections_per_address = std::to_string(d.connections.max_connections_per_address),
                       create_rate = format_number(d.hub.create_rate_per_minute),
                       max_total_rooms = std::to_string(d.hub.max_rooms),
                       max_in_flight = std::to_string(d.hub.max_requests_in_flight),
                       max_reply_bytes = std::to_string(d.hub.max_reply_bytes),
                       worker_threads = std::to_string(d.hub.worker_threads),
                       max_exports = std::to_string(d.hub.max_exports_at_once),
                       max_export_bytes = std::to_string(d.hub.export_max_text_bytes),
                       search_scan = std::to_string(d.hub.search_scan),
                       store_readers = std::to_string(d.store.readers),
                       store_bulk_readers = std::to_string(d.store.bulk_readers),
                       presence_immediate_below = std::to_string(d.hub.presence_immediate_below),
                       presence_flush_ms = std::to_string(d.hub.presence_flush_interval.count()),
                       message_round_ms = std::to_string(d.hub.message_round_interval.count()),
                       message_rounds_from = std::to_string(d.hub.message_rounds_from),
                       max_failed_attempts = std::to_string(d.api.max_failed_attempts),
                       max_mails_per_recipient = std::to_string(d.api.max_mails_per_recipient),
                       max_failed_token_checks = std::to_string(d.accounts.max_failed_token_checks),
                       redis_connect_timeout_ms = std::to_string(d.redis.connection.connect_timeout.count()),
                       redis_command_timeout_ms = std::to_string(d.redis.connection.command_timeout.count()),
                       store_busy_timeout_ms = std::to_string(d.store.busy_timeout_ms),
                       http_request_timeout = option_values::seconds_text(d.http.request_timeout);
  auto redis_wait_timeout_ms = static_cast<std::size_t>(d.redis.wait_timeout.count());
  double retention_sweep_s = std::chrono::duration<double>(d.hub.retention_sweep_interval).count();

  po::options_description general("outloud-server: OutLoud chat server (HTTP and WebSocket on one port)\n\nOptions");
  // clang-format off
  general.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("listen", po::value(&o.listen)->default_value(defaults.listen)->value_name("HOST:PORT"),
     "address to serve on: 127.0.0.1:8080, [::1]:8080, localhost:8080, 0.0.0.0:80; port 0 picks a free port "
     "(the line \"listening on http://HOST:PORT\" on stderr tells which)")
    ("data", po::value(&o.data)->default_value(defaults.data)->value_name("PATH"),
     "embedded database file (used when --redis is not given)")
    ("redis", po::value(&o.redis_url)->value_name("URL"),
     "redis://[[USER]:PASSWORD@]HOST:PORT[/DB]: keep rooms, messages and presence in Redis, as one node of "
     "many (AUTH with the credentials; nodes on other DB numbers of one Redis never see each other); or "
     "redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER_NAME[/DB]: ask these sentinels "
     "(port 26379 by default) for the master and follow its failovers (the credentials are the master's)")
    ("redis-url-file", po::value(&o.redis_url_file)->value_name("PATH"),
     "read the --redis URL (with its password) from this file, so that it is not on the command line")
    ("redis-wait-replicas", po::value(&l.redis.wait_replicas)->default_value(d.redis.wait_replicas)->value_name("N"),
     "--redis: answer `sent` only once N replicas have the message (Redis WAIT), so that a failover keeps "
     "it; 0: once the master has it")
    ("redis-wait-timeout-ms", po::value(&redis_wait_timeout_ms)->default_value(redis_wait_timeout_ms)->value_name("MS"),
     "--redis-wait-replicas: how long to wait for the replicas before answering `unavailable`")
    ("redis-connect-timeout-ms", po::value(&redis_connect_timeout_ms)->default_value(redis_connect_timeout_ms)->value_name("MS"),
     "--redis: how long one attempt to connect (resolve, TCP, AUTH, SELECT) may take before the next one")
    ("redis-command-timeout-ms", po::value(&redis_command_timeout_ms)->default_value(redis_command_timeout_ms)->value_name("MS"),
     "--redis: how long a command may go unanswered before the connection is dropped and made again "
     "(longer than --redis-wait-timeout-ms)")
    ("node-id", po::value(&o.node_id)->value_name("NAME"),
     "this node's name, [A-Za-z0-9._-]{1,64} (default: the host name)")
    ("auth", po::value(&o.auth)->default_value(defaults.auth)->value_name("accounts|open|jwt"),
     "accounts: people sign in with invitations and email links (first run prints a setup link); "
     "open: hello names the user (demos and tests only); jwt: hello carries a token signed with --jwt-key")
    ("labels", po::value(&o.labels)->default_value(defaults.labels)->value_name("A,B,..."),
     "the information-governance labels a room may carry; the first is the default")
    ("retention-sweep", po::value(&retention_sweep_s)->default_value(retention_sweep_s)->value_name("SECONDS"),
     "how often messages older than their room's retention are deleted")
    ("jwt-key", po::value(&o.jwt_key)->value_name("KEY"), "JWT HMAC secret or PEM public key (--auth jwt)")
    ("jwt-key-file", po::value(&o.jwt_key_file)->value_name("PATH"), "read the JWT key from this file (--auth jwt)")
    ("jwt-alg", po::value(&o.jwt_algorithm)->default_value(defaults.jwt_algorithm)->value_name("ALG"),
     "JWT signature algorithm: HS256/384/512, RS256/384/512, ES256/384/512")
    ("jwt-audience", po::value(&o.jwt_audience)->value_name("AUD"),
     "refuse tokens whose 'aud' claim does not name AUD (--auth jwt)")
    ("jwt-issuer", po::value(&o.jwt_issuer)->value_name("ISS"),
     "refuse tokens whose 'iss' claim is not ISS (--auth jwt)")
    ("jwt-allow-no-exp", po::bool_switch(&o.jwt_allow_no_exp),
     "accept tokens without an 'exp' claim, which never expire (--auth jwt; refused by default)")
    ("public-url", po::value(&o.public_url)->value_name("URL"),
     "the address people use, http(s)://HOST[:PORT]: links in emails and setup, the server's own origin; "
     "https makes the session cookie Secure (default: http://<listen address>)")
    ("trusted-proxy", po::value(&o.trusted_proxies)->composing()->value_name("ADDRESS[/BITS]"),
     "a reverse proxy (address or network) whose X-Forwarded-For names the client: the per-address limits of "
     "sign-in, redeem, setup and sign-in emails then count each client, not the proxy; repeatable")
    ("allowed-origin", po::value(&o.allowed_origins)->composing()->value_name("ORIGIN"),
     "another browser origin (scheme://host[:port]) allowed to POST and open WebSockets; repeatable")
    ("smtp", po::value(&o.smtp_url)->value_name("URL"),
     "smtp://HOST:PORT (or smtps://): send email sign-in links through this server (needs --public-url)")
    ("smtp-url-file", po::value(&o.smtp_url_file)->value_name("PATH"),
     "read the --smtp URL (with its password) from this file, so that it is not on the command line")
    ("smtp-from", po::value(&o.smtp_from)->value_name("ADDRESS"),
     "sender of sign-in emails (default: outloud@<host of --public-url>)")
    ("max-mails-per-recipient", po::value(&max_mails_per_recipient)->default_value(max_mails_per_recipient)->value_name("N"),
     "sign-in emails sent to one address per 15 minutes, whoever asks; past it none is sent (0: no limit)")
    ("session-days", po::value(&session_days)->default_value(session_days)->value_name("N"),
     "a session (accounts mode) not used for N days stops working, on every node (0: never)")
    ("max-failed-attempts", po::value(&max_failed_attempts)->default_value(max_failed_attempts)->value_name("N"),
     "failed sign-in, redeem or setup attempts one address may make per minute before 429 (0: no limit)")
    ("max-failed-token-checks", po::value(&max_failed_token_checks)->default_value(max_failed_token_checks)->value_name("N"),
     "unknown, expired or signed-out session tokens (hello, cookie, Bearer) one address may present per "
     "minute, each audited; past it its wrong tokens answer rate_limited / 429, right ones still work (0: no limit)")
    ("threads", po::value(&threads)->value_name("N"), "I/O threads (default: the number of CPU cores)")
    ("strands", po::value(&strands)->value_name("N"),
     "strands the connections are spread over, each with its own rooms' fan-out (default: --threads)")
    ("web-root", po::value(&o.web_root)->value_name("DIR"),
     "directory of the web client (default: <exe dir>/../share/outloud/web, else the source tree's clients/web)")
    ("max-frame-bytes", po::value(&max_frame_bytes)->default_value(max_frame_bytes)->value_name("N"),
     "largest WebSocket message accepted; a larger one closes the connection with 1009")
    ("max-message-chars", po::value(&max_message_chars)->default_value(max_message_chars)->value_name("N"),
     "longest message text, in characters")
    ("max-queue-bytes", po::value(&max_queue_bytes)->default_value(max_queue_bytes)->value_name("N"),
     "bytes queued for one client beyond which, if its writes are stuck for --slow-client-grace, it is "
     "dropped as a slow consumer (close 1008); 8 times this drops it at once")
    ("max-queue-frames", po::value(&max_queue_frames)->default_value(max_queue_frames)->value_name("N"),
     "the same limit counted in frames")
    ("slow-client-grace", po::value(&slow_grace)->default_value(slow_grace)->value_name("SECONDS"),
     "how long a client over the queue limit may go without completing a write")
    ("rate-limit", po::value(&rate_limit)->default_value(rate_limit)->value_name("N"),
     "frames per second accepted from one connection (0: unlimited); more get rate_limited")
    ("rate-burst", po::value(&rate_burst)->default_value(rate_burst)->value_name("N"),
     "frames one connection may send at once after a quiet spell")
    ("max-rooms-per-connection", po::value(&max_rooms)->default_value(max_rooms)->value_name("N"),
     "rooms one connection may have joined at once")
    ("ping-interval", po::value(&ping_interval)->default_value(ping_interval)->value_name("SECONDS"),
     "seconds between WebSocket pings")
    ("idle-timeout", po::value(&idle_timeout)->default_value(idle_timeout)->value_name("SECONDS"),
     "close a connection from which nothing (no frame, no pong) came for this many seconds")
    ("presence-ttl-ms", po::value(&presence_ttl)->default_value(presence_ttl)->value_name("MS"),
     "for tests only (--redis): a presence entry not refreshed for this long expires")
    ("presence-refresh-ms", po::value(&presence_refresh)->default_value(presence_refresh)->value_name("MS"),
     "for tests only (--redis): how often a node refreshes its presence entries; less than --presence-ttl-ms")
    ("presence-sweep-ms", po::value(&presence_sweep)->default_value(presence_sweep)->value_name("MS"),
     "for tests only (--redis): how often a node sweeps expired presence entries")
    ("unsafe-no-fsync", po::bool_switch(&o.unsafe_no_fsync),
     "for tests only: SQLite never syncs to disk (a crash of the machine may lose acknowledged messages)")
    ("test-fault-after-ms", po::value(&test_fault_after_ms)->default_value(test_fault_after_ms)->value_name("MS"),
     "for tests only: an I/O handler throws after MS ms, to check that the server then exits 1 (0: never)")
    ("test-breakout-minute-ms",
     po::value(&test_breakout_minute_ms)->default_value(test_breakout_minute_ms)->value_name("MS"),
     "for tests only: a breakout round's `minutes` last MS ms each (the warning comes one such minute before the end)")
    ("test-session-seconds", po::value(&test_session_seconds)->default_value(test_session_seconds)->value_name("SECONDS"),
     "for tests only: a session not used for SECONDS stops working, in place of --session-days (0: --session-days)")
    ("test-store-max-pages", po::value(&test_store_max_pages)->default_value(test_store_max_pages)->value_name("N"),
     "for tests only: the embedded database stops growing at N pages, as on a full disk (0: no limit)")
    ("hello-timeout", po::value(&hello_timeout)->default_value(hello_timeout)->value_name("SECONDS"),
     "close a WebSocket (1008) that has not said a successful hello within this many seconds")
    ("max-connections", po::value(&max_connections)->default_value(max_connections)->value_name("N"),
     "TCP connections (HTTP and WebSocket) held at once; a newcomer beyond them gets 503 and is closed")
    ("max-connections-per-address",
     po::value(&max_connections_per_address)->default_value(max_connections_per_address)->value_name("N"),
     "the same cap for one peer address (an IPv6 /64 counts as one address)")
    ("create-rate", po::value(&create_rate)->default_value(create_rate)->value_name("N"),
     "rooms one user may create per minute (all at once, then one every 60/N s); 0: unlimited; beyond: rate_limited")
    ("max-rooms", po::value(&max_total_rooms)->default_value(max_total_rooms)->value_name("N"),
     "rooms on this server in all, breakout groups aside (0: unlimited); beyond: forbidden")
    ("presence-immediate-below", po::value(&presence_immediate_below)->default_value(presence_immediate_below)->value_name("N"),
     "rooms with fewer members on this node send each presence change at once (to members joined with presence_limit)")
    ("presence-flush-ms", po::value(&presence_flush_ms)->default_value(presence_flush_ms)->value_name("MS"),
     "larger rooms send their presence changes coalesced, one batch at most this often")
    ("message-round-ms", po::value(&message_round_ms)->default_value(message_round_ms)->value_name("MS"),
     "rooms of --message-rounds-from members or more that get a message or more in this time (on average) send them in rounds "
     "at most this often: one that comes sooner after the last round waits for the next, and each member gets the "
     "round in one write (0: every message at once)")
    ("message-rounds-from", po::value(&message_rounds_from)->default_value(message_rounds_from)->value_name("N"),
     "members on this node from which a room sends its messages in rounds")
    ("max-requests-in-flight", po::value(&max_in_flight)->default_value(max_in_flight)->value_name("N"),
     "frames of one connection being carried out or waiting at once; beyond: rate_limited")
    ("max-reply-bytes", po::value(&max_reply_bytes)->default_value(max_reply_bytes)->value_name("N"),
     "about the most message bytes in one history or joined reply: fewer messages than asked when they are large")
    ("worker-threads", po::value(&worker_threads)->default_value(worker_threads)->value_name("N"),
     "threads for work kept off the rooms' strands: session records, history pages, token checks")
    ("max-export-bytes", po::value(&max_export_bytes)->default_value(max_export_bytes)->value_name("N"),
     "text one session record may hold (messages and names, in bytes); a larger record is refused with too_large")
    ("max-exports", po::value(&max_exports)->default_value(max_exports)->value_name("N"),
     "session records built at once; more wait their turn")
    ("search-scan", po::value(&search_scan)->default_value(search_scan)->value_name("N"),
     "Redis store (no index): the most messages one search page reads, newest first; the reply's next goes on")
    ("store-readers", po::value(&store_readers)->default_value(store_readers)->value_name("N"),
     "embedded mode: read-only SQLite connections (one thread each) that read history pages and records "
     "beside the writer; 0: the writer's thread reads them too")
    ("store-bulk-readers", po::value(&store_bulk_readers)->default_value(store_bulk_readers)->value_name("N"),
     "embedded mode, with store readers: more read-only connections that read only history pages and records, "
     "on threads of a lower priority, after nobody's join; 0: the store readers read those too")
    ("store-busy-timeout-ms", po::value(&store_busy_timeout_ms)->default_value(store_busy_timeout_ms)->value_name("MS"),
     "embedded mode: how long a write waits for another process holding the database file (a backup tool) "
     "before it fails")
    ("http-request-timeout", po::value(&http_request_timeout)->default_value(http_request_timeout)->value_name("SECONDS"),
     "reading one HTTP request, or writing its response, may take this long; then the connection is closed")
    ("log-level", po::value(&o.log_level)->default_value(defaults.log_level)->value_name("LEVEL"),
     "debug, info, warn or error");
  // clang-format on

  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(general).positional({}).run(), vm);
    if (vm.count("help")) {
      std::cout << general << "\nSIGTERM or SIGINT: stop accepting, finish acknowledged writes, close every\n"
                                "WebSocket with 1001 and exit 0 within 5 seconds.\n";
      parsed.exit_code = 0;
      return parsed;
    }
    if (vm.count("version")) {
      std::cout << "outloud-server " << core::build_version() << " (protocol 1)\n";
      parsed.exit_code = 0;
      return parsed;
    }
    po::notify(vm);

    if (!net::parse_listen_address(o.listen)) {
      throw UsageError("--listen: expected HOST:PORT (IPv6 as [ADDR]:PORT), got '" + o.listen + "'");
    }
    if (o.data.empty()) throw UsageError("--data: the path is empty");
    if (o.labels.empty() || o.labels.front() == ',' || o.labels.back() == ',' || o.labels.find(",,") != std::string::npos) {
      throw UsageError("--labels: a comma-separated list of labels, e.g. OFFICIAL,OFFICIAL-SENSITIVE");
    }
    if (!(retention_sweep_s >= 1)) throw UsageError("--retention-sweep: at least 1 second");
    l.hub.retention_sweep_interval = std::chrono::milliseconds(static_cast<std::int64_t>(retention_sweep_s * 1000));
    url_from_file(o.redis_url, o.redis_url_file, "redis");
    url_from_file(o.smtp_url, o.smtp_url_file, "smtp");
    if (!o.redis_url.empty()) {
      auto target = redis::parse_redis_target(o.redis_url);
      if (auto* why = std::get_if<std::string>(&target)) throw UsageError(*why);
    }
    if (l.redis.wait_replicas < 0 || l.redis.wait_replicas > 16) {
      throw UsageError("--redis-wait-replicas: expected 0 to 16, got " + std::to_string(l.redis.wait_replicas));
    }
    // Below the connection's command timeout, which would otherwise drop the connection first.
    if (redis_wait_timeout_ms < 1 || redis_wait_timeout_ms > 4'000) {
      throw UsageError("--redis-wait-timeout-ms: expected 1 to 4000, got " + std::to_string(redis_wait_timeout_ms));
    }
    l.redis.wait_timeout = std::chrono::milliseconds(redis_wait_timeout_ms);
    l.redis.connection.connect_timeout =
        option_values::whole_ms("redis-connect-timeout-ms", redis_connect_timeout_ms, 10, 600'000);
    l.redis.connection.command_timeout =
        option_values::whole_ms("redis-command-timeout-ms", redis_command_timeout_ms, 100, 600'000);
    if (l.redis.wait_timeout >= l.redis.connection.command_timeout) {
      throw UsageError("--redis-wait-timeout-ms (" + std::to_string(redis_wait_timeout_ms) +
                       ") must be shorter than --redis-command-timeout-ms (" + redis_command_timeout_ms +
                       "), or a WAIT would drop the connection");
    }
    if (!vm.count("node-id")) o.node_id = default_node_id();
    if (!is_valid_node_id(o.node_id)) {
      throw UsageError("--node-id: expected 1 to 64 characters of A-Z a-z 0-9 . _ -, got '" + o.node_id + "'");
    }
    if (o.auth == "jwt") {
      if (o.jwt_key.empty() == o.jwt_key_file.empty()) {
        throw UsageError("--auth jwt needs exactly one of --jwt-key and --jwt-key-file");
      }
      // Only the line end: an HMAC secret may end in a space.
      if (!o.jwt_key_file.empty()) o.jwt_key = read_secret_file("jwt-key-file", o.jwt_key_file, "\r\n");
    } else if (o.auth != "open" && o.auth != "accounts") {
      throw UsageError("--auth: expected 'accounts', 'open' or 'jwt', got '" + o.auth + "'");
    } else if (!o.jwt_key.empty() || !o.jwt_key_file.empty() || !o.jwt_audience.empty() || !o.jwt_issuer.empty() ||
               o.jwt_allow_no_exp) {
      throw UsageError("--jwt-key, --jwt-key-file, --jwt-audience, --jwt-issuer and --jwt-allow-no-exp need --auth jwt");
    }
    const std::string public_url = o.public_url;
    while (!o.public_url.empty() && o.public_url.back() == '/') o.public_url.pop_back();
    if (!public_url.empty() && !net::normalize_origin(o.public_url)) {
      throw UsageError("--public-url: expected http(s)://HOST[:PORT] with no path, got '" + public_url + "'");
    }
    try {
      net::TrustedProxies proxies(o.trusted_proxies);
    } catch (const std::invalid_argument& error) {
      throw UsageError(std::string("--trusted-proxy: ") + error.what());
    }
    for (auto& origin : o.allowed_origins) {
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
      if (!net::normalize_origin(origin)) {
        throw UsageError("--allowed-origin: expected http(s)://HOST[:PORT], got '" + origin + "'");
      }
    }
    if (!o.smtp_url.empty()) {
      if (o.smtp_url.rfind("smtp://", 0) != 0 && o.smtp_url.rfind("smtps://", 0) != 0) {
        // Not the URL itself from a file: it holds a password.
        throw UsageError("--smtp: expected smtp://HOST:PORT or smtps://HOST:PORT, got " +
                         (o.smtp_url_file.empty() ? "'" + o.smtp_url + "'" : "something else in '" + o.smtp_url_file + "'"));
      }
      if (o.public_url.empty()) throw UsageError("--smtp needs --public-url (the address the emailed link points at)");
      if (o.smtp_from.empty()) {
        const auto origin = *net::normalize_origin(o.public_url);
        std::string host = origin.substr(origin.find("://") + 3);
        host = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size() : host.rfind(':'));
        o.smtp_from = "outloud@" + host;
      }
      if (!mail::is_valid_address(o.smtp_from)) {
        throw UsageError("--smtp-from: expected an email address, got '" + o.smtp_from + "'");
      }
    } else if (!o.smtp_from.empty()) {
      throw UsageError("--smtp-from needs --smtp");
    }
    l.api.max_failed_attempts = whole_number("max-failed-attempts", max_failed_attempts, 0, 1'000'000);
    l.api.max_mails_per_recipient = whole_number("max-mails-per-recipient", max_mails_per_recipient, 0, 1'000'000);
    l.accounts.max_failed_token_checks = whole_number("max-failed-token-checks", max_failed_token_checks, 0, 1'000'000);
    if (!o.web_root.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(o.web_root, ec)) {
        throw UsageError("--web-root: '" + o.web_root + "' is not a directory");
      }
    }

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    o.threads = vm.count("threads") ? static_cast<unsigned>(whole_number("threads", threads, 1, 256)) : cores;
    o.strands = vm.count("strands") ? static_cast<unsigned>(whole_number("strands", strands, 1, 256)) : o.threads;
    auto& ws = l.websocket;
    auto& hub = l.hub;
    ws.max_frame_bytes = whole_number("max-frame-bytes", max_frame_bytes, 1024, 16 * 1024 * 1024);
    ws.max_message_chars = whole_number("max-message-chars", max_message_chars, 1, 1'000'000);
    ws.max_queue_bytes = whole_number("max-queue-bytes", max_queue_bytes, 1024, std::size_t{1} << 30);
    ws.max_queue_frames = whole_number("max-queue-frames", max_queue_frames, 1, 1'000'000);
    ws.slow_grace = option_values::from_seconds(real_number("slow-client-grace", slow_grace, 0, 600, false));
    ws.rate_limit = real_number("rate-limit", rate_limit, 0, 1e9, false);
    ws.rate_burst = real_number("rate-burst", rate_burst, 1, 1e9, false);
    hub.max_rooms_per_connection = whole_number("max-rooms-per-connection", max_rooms, 1, 100'000);
    const double ping_interval_s = real_number("ping-interval", ping_interval, 0.01, 86'400, false);
    const double idle_timeout_s = real_number("idle-timeout", idle_timeout, 0.01, 86'400, false);
    ws.ping_interval = option_values::from_seconds(ping_interval_s);
    ws.idle_timeout = option_values::from_seconds(idle_timeout_s);
    ws.hello_timeout = option_values::from_seconds(real_number("hello-timeout", hello_timeout, 0.01, 86'400, false));
    l.connections.max_connections = whole_number("max-connections", max_connections, 1, 10'000'000);
    l.connections.max_connections_per_address =
        whole_number("max-connections-per-address", max_connections_per_address, 1, 10'000'000);
    hub.create_rate_per_minute = real_number("create-rate", create_rate, 0, 1e6, false);
    hub.max_rooms = static_cast<std::int64_t>(whole_number("max-rooms", max_total_rooms, 0, 1'000'000'000));
    hub.max_requests_in_flight = static_cast<int>(whole_number("max-requests-in-flight", max_in_flight, 1, 100'000));
    hub.presence_immediate_below = whole_number("presence-immediate-below", presence_immediate_below, 0, 1'000'000);
    hub.presence_flush_interval = option_values::whole_ms("presence-flush-ms", presence_flush_ms, 10, 60'000);
    hub.message_round_interval = option_values::whole_ms("message-round-ms", message_round_ms, 0, 1'000);
    hub.message_rounds_from = whole_number("message-rounds-from", message_rounds_from, 1, 1'000'000);
    hub.max_reply_bytes = whole_number("max-reply-bytes", max_reply_bytes, 16 * 1024, std::size_t{1} << 30);
    hub.worker_threads = static_cast<int>(whole_number("worker-threads", worker_threads, 1, 64));
    hub.max_exports_at_once = static_cast<int>(whole_number("max-exports", max_exports, 1, 64));
    hub.export_max_text_bytes = whole_number("max-export-bytes", max_export_bytes, 1024, std::size_t{1} << 40);
    hub.search_scan = static_cast<int>(whole_number("search-scan", search_scan, 1, 1'000'000));
    l.store.readers = whole_number("store-readers", store_readers, 0, 64);
    l.store.bulk_readers = whole_number("store-bulk-readers", store_bulk_readers, 0, 64);
    l.store.busy_timeout_ms = static_cast<int>(whole_number("store-busy-timeout-ms", store_busy_timeout_ms, 0, 600'000));
    l.http.request_timeout =
        option_values::from_seconds(real_number("http-request-timeout", http_request_timeout, 0.1, 3'600, false));
    if (idle_timeout_s <= ping_interval_s) {
      throw UsageError("--idle-timeout (" + idle_timeout + " s) must be longer than --ping-interval (" +
                       ping_interval + " s), or quiet clients would be closed before they are pinged");
    }
    l.presence.ttl = option_values::whole_ms("presence-ttl-ms", presence_ttl, 100, 3'600'000);
    l.presence.refresh = option_values::whole_ms("presence-refresh-ms", presence_refresh, 10, 3'600'000);
    l.presence.sweep = option_values::whole_ms("presence-sweep-ms", presence_sweep, 10, 3'600'000);
    o.test_fault_after_ms = whole_number("test-fault-after-ms", test_fault_after_ms, 0, 3'600'000);
    hub.facilitation.minute_ms =
        static_cast<std::int64_t>(whole_number("test-breakout-minute-ms", test_breakout_minute_ms, 100, 60'000));
    l.accounts.session_idle_ms = static_cast<std::int64_t>(whole_number("session-days", session_days, 0, 36'500)) *
                                  option_values::kDayMs;
    l.store.max_db_pages = static_cast<std::int64_t>(whole_number("test-store-max-pages", test_store_max_pages, 0, 1'000'000'000));
    if (const auto seconds = whole_number("test-session-seconds", test_session_seconds, 0, 86'400)) {
      l.accounts.session_idle_ms = static_cast<std::int64_t>(seconds) * 1000;
    }
    if (l.presence.refresh >= l.presence.ttl) {
      throw UsageError("--presence-refresh-ms (" + presence_refresh + ") must be shorter than --presence-ttl-ms (" +
                       presence_ttl + "), or live entries would expire between refreshes");
    }
    if (o.log_level != "debug" && o.log_level != "info" && o.log_level != "warn" && o.log_level != "error") {
      throw UsageError("--log-level: expected debug, info, warn or error, got '" + o.log_level + "'");
    }
  } catch (const UsageError& e) {
    std::cerr << "outloud-server: " << e.what() << "\n";
    parsed.exit_code = 2;
    return parsed;
  } catch (const po::error& e) {
    std::cerr << "outloud-server: " << e.what() << "\nTry 'outloud-server --help'.\n";
    parsed.exit_code = 2;
    return parsed;
  }
  parsed.run = true;
  return parsed;
}

}  // namespace outloud::app
