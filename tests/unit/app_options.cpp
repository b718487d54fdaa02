// The command line of outloud-server: defaults, every flag, and the refusals (exit 2 with a message
// naming the flag). What parse_options prints is captured and checked.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/app/options.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace app_options_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using outloud::app::Options;
using outloud::app::parse_options;
using outloud::app::ParsedOptions;

namespace {

struct Outcome {
  ParsedOptions parsed;
  std::string out;  // what was printed on stdout
  std::string err;  // ...and on stderr
};

// Runs parse_options on `outloud-server ARGS...`, capturing what it prints.
Outcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "outloud-server");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);

  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Outcome outcome;
  try {
    outcome.parsed = parse_options(static_cast<int>(args.size()), argv.data());
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

// A refusal: exit code 2, no run, and a message on stderr that contains `expected`.
void check_refused(const std::vector<std::string>& args, const std::string& expected) {
  std::string line;
  for (const auto& arg : args) line += arg + " ";
  CAPTURE(line);
  const Outcome outcome = parse(args);
  CAPTURE(outcome.err);
  CHECK_FALSE(outcome.parsed.run);
  CHECK(outcome.parsed.exit_code == 2);
  CHECK(outcome.err.rfind("outloud-server: ", 0) == 0);
  CHECK(outcome.err.find(expected) != std::string::npos);
  CHECK(outcome.out.empty());
}

// A scratch directory with a key file, an empty key file and a web root.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("outloud-app-options-" + std::to_string(::getpid()));
  Scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir / "web");
    std::ofstream(dir / "key.txt") << "file-secret\r\n\n";
    std::ofstream(dir / "empty.txt") << "\n";
    std::ofstream(dir / "redis-url") << "redis://app:pw-in-a-file@10.0.0.5:6390/2 \n";
    std::ofstream(dir / "smtp-url") << "smtps://mailer:smtp-pw@mail.example.org:465\n";
    std::ofstream(dir / "bad-smtp-url") << "http://mailer:smtp-pw@mail.example.org\n";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

}  // namespace

TEST_CASE("options: defaults", "[app]") {
  const Outcome outcome = parse({});
  REQUIRE(outcome.parsed.run);
  CHECK(outcome.parsed.exit_code == 0);
  CHECK(outcome.err.empty());
  CHECK(outcome.out.empty());

  const Options& o = outcome.parsed.options;
  CHECK(o.listen == "127.0.0.1:8080");
  CHECK(o.data == "./outloud.db");
  CHECK(o.redis_url.empty());
  CHECK(std::regex_match(o.node_id, std::regex("[A-Za-z0-9._-]{1,64}")));
  CHECK(o.web_root.empty());
  CHECK(o.threads == std::max(1u, std::thread::hardware_concurrency()));
  CHECK(o.auth == "accounts");
  CHECK(o.public_url.empty());
  CHECK(o.allowed_origins.empty());
  CHECK(o.smtp_url.empty());
  CHECK(o.limits.api.max_failed_attempts == 10);
  CHECK(o.jwt_key.empty());
  CHECK(o.jwt_key_file.empty());
  CHECK(o.jwt_algorithm == "HS256");
  CHECK(o.limits.websocket.max_frame_bytes == 64 * 1024);
  CHECK(o.limits.websocket.max_message_chars == 16'000);
  CHECK(o.limits.websocket.max_queue_bytes == 4 * 1024 * 1024);
  CHECK(o.limits.websocket.max_queue_frames == 4096);
  CHECK(o.limits.websocket.slow_grace == 1s);
  CHECK(o.limits.websocket.rate_limit == 30);
  CHECK(o.limits.websocket.rate_burst == 60);
  CHECK(o.limits.hub.max_rooms_per_connection == 100);
  CHECK(o.limits.websocket.ping_interval == 20s);
  CHECK(o.limits.websocket.idle_timeout == 60s);
  CHECK(o.log_level == "info");
  // No flag given: every limit is limits.hpp's default, unchanged by its way through the flag's text.
  CHECK(o.limits == outloud::limits::Limits{});
}

TEST_CASE("options: accounts and browsers", "[app]") {
  SECTION("--public-url, --allowed-origin (repeatable), --smtp with its default sender") {
    const Outcome outcome = parse({"--public-url", "https://chat.example.org/", "--allowed-origin",
                                   "https://intranet.example.net:8443", "--allowed-origin", "http://tools.example.org/",
                                   "--smtp", "smtp://127.0.0.1:2525", "--max-failed-attempts", "0",
                                   "--max-failed-token-checks", "7"});
    CAPTURE(outcome.err);
    REQUIRE(outcome.parsed.run);
    const Options& o = outcome.parsed.options;
    CHECK(o.public_url == "https://chat.example.org");
    CHECK(o.allowed_origins == std::vector<std::string>{"https://intranet.example.net:8443", "http://tools.example.org"});
    CHECK(o.smtp_url == "smtp://127.0.0.1:2525");
    CHECK(o.smtp_from == "outloud@chat.example.org");
    CHECK(o.limits.api.max_failed_attempts == 0);
    CHECK(o.limits.accounts.max_failed_token_checks == 7);
    CHECK(Options{}.limits.accounts.max_failed_token_checks == 60);
  }
  SECTION("--session-days (default 30, 0: never) and the test-only --test-session-seconds") {
    constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
    CHECK(parse({}).parsed.options.limits.accounts.session_idle_ms == 30 * kDay);
    CHECK(parse({"--session-days", "7"}).parsed.options.limits.accounts.session_idle_ms == 7 * kDay);
    CHECK(parse({"--session-days", "0"}).parsed.options.limits.accounts.session_idle_ms == 0);
    CHECK(parse({"--session-days", "0", "--test-session-seconds", "3"}).parsed.options.limits.accounts.session_idle_ms ==
          3000);
    check_refused({"--session-days", "-1"}, "--session-days: expected a whole number");
    check_refused({"--session-days", "36501"}, "--session-days: expected a whole number from 0 to 36500");
    check_refused({"--test-session-seconds", "86401"}, "--test-session-seconds: expected a whole number");
  }
  SECTION("--smtp-from") {
    const Outcome outcome = parse({"--public-url", "http://127.0.0.1:8080", "--smtp", "smtps://mail.example.org:465",
                                   "--smtp-from", "noreply@example.org"});
    REQUIRE(outcome.parsed.run);
    CHECK(outcome.parsed.options.smtp_from == "noreply@example.org");
  }
  SECTION("refusals") {
    check_refused({"--public-url", "chat.example.org"}, "--public-url: expected http(s)://HOST[:PORT]");
    check_refused({"--public-url", "https://chat.example.org/chat"}, "--public-url: expected http(s)://HOST[:PORT]");
    check_refused({"--allowed-origin", "null"}, "--allowed-origin: expected http(s)://HOST[:PORT], got 'null'");
    check_refused({"--smtp", "smtp://127.0.0.1:25"}, "--smtp needs --public-url");
    check_refused({"--smtp", "http://127.0.0.1:25", "--public-url", "http://a.org"}, "--smtp: expected smtp://");
    check_refused({"--smtp-from", "a@b.org"}, "--smtp-from needs --smtp");
    check_refused({"--smtp", "smtp://h:25", "--public-url", "http://a.org", "--smtp-from", "a b"},
                  "--smtp-from: expected an email address");
    check_refused({"--max-failed-attempts", "-1"}, "--max-failed-attempts: expected a whole number");
    check_refused({"--max-failed-token-checks", "x"}, "--max-failed-token-checks: expected a whole number");
  }
}

TEST_CASE("options: every flag is parsed", "[app]") {
  const Scratch scratch;
  const Outcome outcome = parse({"--listen", "[::1]:0",
                                 "--data", "/var/lib/outloud/chat.db",
                                 "--redis", "redis://127.0.0.1:6390/3",
                                 "--node-id", "node_b.2-x",
                                 "--auth", "jwt",
                                 "--jwt-key", "s3cret",
                                 "--jwt-alg", "HS512",
                                 "--threads", "3",
                                 "--web-root", scratch.path("web"),
                                 "--max-frame-bytes", "2048",
                                 "--max-message-chars", "500",
                                 "--max-queue-bytes", "65536",
                                 "--max-queue-frames", "77",
                                 "--slow-client-grace", "0.25",
                                 "--rate-limit", "0",
                                 "--rate-burst", "5.5",
                                 "--max-rooms-per-connection", "7",
                                 "--ping-interval", "1.5",
                                 "--idle-timeout", "4",
                                 "--log-level", "debug"});
  CAPTURE(outcome.err);
  REQUIRE(outcome.parsed.run);
  CHECK(outcome.parsed.exit_code == 0);
  const Options& o = outcome.parsed.options;
  CHECK(o.listen == "[::1]:0");
  CHECK(o.data == "/var/lib/outloud/chat.db");
  CHECK(o.redis_url == "redis://127.0.0.1:6390/3");
  CHECK(o.node_id == "node_b.2-x");
  CHECK(o.auth == "jwt");
  CHECK(o.jwt_key == "s3cret");
  CHECK(o.jwt_key_file.empty());
  CHECK(o.jwt_algorithm == "HS512");
  CHECK(o.threads == 3);
  CHECK(o.web_root == scratch.path("web"));
  CHECK(o.limits.websocket.max_frame_bytes == 2048);
  CHECK(o.limits.websocket.max_message_chars == 500);
  CHECK(o.limits.websocket.max_queue_bytes == 65536);
  CHECK(o.limits.websocket.max_queue_frames == 77);
  CHECK(o.limits.websocket.slow_grace == 250ms);
  CHECK(o.limits.websocket.rate_limit == 0);
  CHECK(o.limits.websocket.rate_burst == 5.5);
  CHECK(o.limits.hub.max_rooms_per_connection == 7);
  CHECK(o.limits.websocket.ping_interval == 1500ms);
  CHECK(o.limits.websocket.idle_timeout == 4000ms);
  CHECK(o.log_level == "debug");
}

TEST_CASE("options: a flag given twice is refused", "[app]") {
  check_refused({"--max-frame-bytes=2048", "--max-frame-bytes=4096"}, "max-frame-bytes");
  check_refused({"--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"}, "listen");
}

TEST_CASE("options: --flag=value form and the bounds of each range are accepted", "[app]") {
  const Outcome low = parse({"--listen=localhost:80", "--threads=1", "--max-frame-bytes=1024",
                             "--max-message-chars=1", "--max-queue-bytes=1024", "--max-queue-frames=1",
                             "--slow-client-grace=0", "--rate-limit=0", "--rate-burst=1",
                             "--max-rooms-per-connection=1", "--ping-interval=0.01", "--idle-timeout=0.02",
                             "--log-level=warn"});
  CAPTURE(low.err);
  REQUIRE(low.parsed.run);
  CHECK(low.parsed.options.listen == "localhost:80");
  CHECK(low.parsed.options.threads == 1);
  CHECK(low.parsed.options.limits.websocket.max_frame_bytes == 1024);
  CHECK(low.parsed.options.limits.websocket.max_message_chars == 1);
  CHECK(low.parsed.options.limits.websocket.slow_grace == 0ms);
  CHECK(low.parsed.options.limits.websocket.ping_interval == 10ms);
  CHECK(low.parsed.options.limits.websocket.idle_timeout == 20ms);
  CHECK(low.parsed.options.log_level == "warn");

  const Outcome high = parse({"--threads=256", "--max-frame-bytes=16777216", "--max-message-chars=1000000",
                              "--max-queue-bytes=1073741824", "--max-queue-frames=1000000",
                              "--slow-client-grace=600", "--rate-limit=1000000000", "--rate-burst=1000000000",
                              "--max-rooms-per-connection=100000", "--ping-interval=86399",
                              "--idle-timeout=86400"});
  CAPTURE(high.err);
  REQUIRE(high.parsed.run);
  CHECK(high.parsed.options.threads == 256);
  CHECK(high.parsed.options.limits.websocket.max_frame_bytes == 16 * 1024 * 1024);
  CHECK(high.parsed.options.limits.websocket.max_queue_bytes == std::size_t{1} << 30);
  CHECK(high.parsed.options.limits.hub.max_rooms_per_connection == 100'000);
  CHECK(high.parsed.options.limits.websocket.idle_timeout == 86'400s);
}

TEST_CASE("options: connection admission flags", "[app]") {
  const Outcome defaults = parse({});
  REQUIRE(defaults.parsed.run);
  CHECK(defaults.parsed.options.limits.websocket.hello_timeout == 10s);
  CHECK(defaults.parsed.options.limits.connections.max_connections == 10'000);
  CHECK(defaults.parsed.options.limits.connections.max_connections_per_address == 256);

  const Outcome given = parse({"--hello-timeout", "0.5", "--max-connections", "3", "--max-connections-per-address=1"});
  CAPTURE(given.err);
  REQUIRE(given.parsed.run);
  CHECK(given.parsed.options.limits.websocket.hello_timeout == 500ms);
  CHECK(given.parsed.options.limits.connections.max_connections == 3);
  CHECK(given.parsed.options.limits.connections.max_connections_per_address == 1);

  check_refused({"--hello-timeout", "0"}, "hello-timeout");
  check_refused({"--max-connections", "0"}, "max-connections");
  check_refused({"--max-connections-per-address", "-1"}, "max-connections-per-address");
}

TEST_CASE("options: --help and --version exit 0 without running", "[app]") {
  const Outcome help = parse({"--help"});
  CHECK_FALSE(help.parsed.run);
  CHECK(help.parsed.exit_code == 0);
  CHECK(help.out.find("--listen") != std::string::npos);
  CHECK(help.out.find("--idle-timeout") != std::string::npos);
  CHECK(help.err.empty());

  const Outcome short_help = parse({"-h"});
  CHECK_FALSE(short_help.parsed.run);
  CHECK(short_help.parsed.exit_code == 0);

  const Outcome version = parse({"--version"});
  CHECK_FALSE(version.parsed.run);
  CHECK(version.parsed.exit_code == 0);
  CHECK(version.out.find("outloud-server") != std::string::npos);
}

TEST_CASE("options: the JWT key, inline or from a file", "[app]") {
  const Scratch scratch;
  SECTION("from a file, without its trailing newlines") {
    const Outcome outcome = parse({"--auth", "jwt", "--jwt-key-file", scratch.path("key.txt")});
    CAPTURE(outcome.err);
    REQUIRE(outcome.parsed.run);
    CHECK(outcome.parsed.options.jwt_key == "file-secret");
  }
  SECTION("--auth jwt requires a key") {
    check_refused({"--auth", "jwt"}, "--auth jwt needs exactly one of --jwt-key and --jwt-key-file");
    check_refused({"--auth", "jwt", "--jwt-key", ""}, "--auth jwt needs exactly one of --jwt-key and --jwt-key-file");
  }
  SECTION("not both") {
    check_refused({"--auth", "jwt", "--jwt-key", "k", "--jwt-key-file", scratch.path("key.txt")},
                  "--auth jwt needs exactly one of --jwt-key and --jwt-key-file");
  }
  SECTION("an unreadable or empty key file") {
    check_refused({"--auth", "jwt", "--jwt-key-file", scratch.path("missing.txt")}, "--jwt-key-file: cannot read");
    check_refused({"--auth", "jwt", "--jwt-key-file", scratch.path("empty.txt")}, "is empty");
  }
  SECTION("a key or a JWT rule without --auth jwt") {
    check_refused({"--jwt-key", "k"}, "need --auth jwt");
    check_refused({"--auth", "open", "--jwt-key-file", scratch.path("key.txt")}, "need --auth jwt");
    check_refused({"--jwt-audience", "outloud"}, "need --auth jwt");
    check_refused({"--jwt-issuer", "idp"}, "need --auth jwt");
    check_refused({"--jwt-allow-no-exp"}, "need --auth jwt");
  }
}

TEST_CASE("options: JWT rules and the test-only flags", "[app]") {
  const Outcome jwt = parse({"--auth", "jwt", "--jwt-key", "k", "--jwt-audience", "outloud.example", "--jwt-issuer",
                             "https://idp.example", "--jwt-allow-no-exp"});
  REQUIRE(jwt.parsed.run);
  CHECK(jwt.parsed.options.jwt_audience == "outloud.example");
  CHECK(jwt.parsed.options.jwt_issuer == "https://idp.example");
  CHECK(jwt.parsed.options.jwt_allow_no_exp);

  const Outcome defaults = parse({});
  CHECK_FALSE(defaults.parsed.options.jwt_allow_no_exp);
  CHECK(defaults.parsed.options.limits.presence.ttl == 25'000ms);
  CHECK(defaults.parsed.options.limits.presence.refresh == 8'000ms);
  CHECK(defaults.parsed.options.limits.presence.sweep == 2'000ms);
  CHECK_FALSE(defaults.parsed.options.unsafe_no_fsync);
  CHECK(defaults.parsed.options.test_fault_after_ms == 0);

  const Outcome fast = parse({"--presence-ttl-ms", "3000", "--presence-refresh-ms", "1000", "--presence-sweep-ms", "250",
                              "--unsafe-no-fsync", "--test-fault-after-ms", "500"});
  REQUIRE(fast.parsed.run);
  CHECK(fast.parsed.options.limits.presence.ttl == 3000ms);
  CHECK(fast.parsed.options.limits.presence.refresh == 1000ms);
  CHECK(fast.parsed.options.limits.presence.sweep == 250ms);
  CHECK(fast.parsed.options.unsafe_no_fsync);
  CHECK(fast.parsed.options.test_fault_after_ms == 500);

  check_refused({"--presence-ttl-ms", "1000", "--presence-refresh-ms", "1000"},
                "--presence-refresh-ms (1000) must be shorter than --presence-ttl-ms (1000)");
  check_refused({"--presence-ttl-ms", "50"}, "--presence-ttl-ms: expected a whole number from 100");
  check_refused({"--redis", "redis://user@h:1"}, "the password is missing");
}

TEST_CASE("options: --redis-url-file and --smtp-url-file read the URL with its password from a file", "[app]") {
  const Scratch scratch;
  const Outcome outcome = parse({"--redis-url-file", scratch.path("redis-url"), "--smtp-url-file", scratch.path("smtp-url"),
                                 "--public-url", "https://chat.example.org"});
  CAPTURE(outcome.err);
  REQUIRE(outcome.parsed.run);
  CHECK(outcome.parsed.options.redis_url == "redis://app:pw-in-a-file@10.0.0.5:6390/2");
  CHECK(outcome.parsed.options.smtp_url == "smtps://mailer:smtp-pw@mail.example.org:465");

  check_refused({"--redis", "redis://h:1", "--redis-url-file", scratch.path("redis-url")},
                "give either --redis or --redis-url-file, not both");
  check_refused({"--smtp", "smtp://h:25", "--smtp-url-file", scratch.path("smtp-url"), "--public-url", "http://a.org"},
                "give either --smtp or --smtp-url-file, not both");
  check_refused({"--redis-url-file", scratch.path("missing.txt")}, "--redis-url-file: cannot read");
  check_refused({"--smtp-url-file", scratch.path("empty.txt"), "--public-url", "http://a.org"}, "is empty");
  // A refused URL from a file is not printed: it holds a password.
  const Outcome bad = parse({"--smtp-url-file", scratch.path("bad-smtp-url"), "--public-url", "http://a.org"});
  CHECK(bad.parsed.exit_code == 2);
  CHECK(bad.err.find("--smtp: expected smtp://") != std::string::npos);
  CHECK(bad.err.find("smtp-pw") == std::string::npos);
}

TEST_CASE("options: --redis redis-sentinel://… and --redis-wait-replicas", "[app]") {
  const Outcome sentinel = parse({"--redis", "redis-sentinel://10.0.0.1,10.0.0.2:26380/outloud/2",
                                  "--redis-wait-replicas", "1", "--redis-wait-timeout-ms", "500"});
  REQUIRE(sentinel.parsed.run);
  CHECK(sentinel.parsed.options.redis_url == "redis-sentinel://10.0.0.1,10.0.0.2:26380/outloud/2");
  CHECK(sentinel.parsed.options.limits.redis.wait_replicas == 1);
  CHECK(sentinel.parsed.options.limits.redis.wait_timeout == 500ms);
  const Outcome defaults = parse({});
  CHECK(defaults.parsed.options.limits.redis.wait_replicas == 0);
  CHECK(defaults.parsed.options.limits.redis.wait_timeout == 1000ms);

  check_refused({"--redis", "redis-sentinel://10.0.0.1:26379"}, "the master name is missing");
  check_refused({"--redis", "redis-sentinel://10.0.0.1:0/m"}, "sentinel 1");
  check_refused({"--redis-wait-replicas", "17"}, "--redis-wait-replicas: expected 0 to 16");
  check_refused({"--redis-wait-replicas", "-1"}, "--redis-wait-replicas: expected 0 to 16");
  check_refused({"--redis-wait-timeout-ms", "0"}, "--redis-wait-timeout-ms: expected 1 to 4000");
  check_refused({"--redis-wait-timeout-ms", "5000"}, "--redis-wait-timeout-ms: expected 1 to 4000");
}

TEST_CASE("options: the store's busy timeout and the HTTP request timeout", "[app]") {
  const Outcome defaults = parse({});
  REQUIRE(defaults.parsed.run);
  CHECK(defaults.parsed.options.limits.store.busy_timeout_ms == 5000);
  CHECK(defaults.parsed.options.limits.http.request_timeout == 30s);

  const Outcome set = parse({"--store-busy-timeout-ms", "0", "--http-request-timeout", "2.5"});
  CAPTURE(set.err);
  REQUIRE(set.parsed.run);
  CHECK(set.parsed.options.limits.store.busy_timeout_ms == 0);
  CHECK(set.parsed.options.limits.http.request_timeout == 2500ms);

  check_refused({"--store-busy-timeout-ms", "600001"}, "--store-busy-timeout-ms: expected a whole number from 0 to 600000");
  check_refused({"--http-request-timeout", "0"}, "--http-request-timeout: expected a number from 0.1 to 3600");
}

TEST_CASE("options: the Redis connection's timeouts", "[app]") {
  const Outcome defaults = parse({});
  REQUIRE(defaults.parsed.run);
  CHECK(defaults.parsed.options.limits.redis.connection.connect_timeout == 2s);
  CHECK(defaults.parsed.options.limits.redis.connection.command_timeout == 5s);

  const Outcome set = parse({"--redis-connect-timeout-ms", "750", "--redis-command-timeout-ms", "12000",
                             "--redis-wait-timeout-ms", "3000"});
  CAPTURE(set.err);
  REQUIRE(set.parsed.run);
  CHECK(set.parsed.options.limits.redis.connection.connect_timeout == 750ms);
  CHECK(set.parsed.options.limits.redis.connection.command_timeout == 12s);
  CHECK(set.parsed.options.limits.redis.wait_timeout == 3s);

  check_refused({"--redis-connect-timeout-ms", "0"}, "--redis-connect-timeout-ms: expected a whole number from 10");
  check_refused({"--redis-command-timeout-ms", "99"}, "--redis-command-timeout-ms: expected a whole number from 100");
  check_refused({"--redis-command-timeout-ms", "1000"},
                "--redis-wait-timeout-ms (1000) must be shorter than --redis-command-timeout-ms (1000)");
}

TEST_CASE("options: --idle-timeout must exceed --ping-interval", "[app]") {
  check_refused({"--ping-interval", "30", "--idle-timeout", "30"}, "--idle-timeout (30 s) must be longer than --ping-interval (30 s)");
  check_refused({"--ping-interval", "30", "--idle-timeout", "10"}, "must be longer than --ping-interval");
  check_refused({"--idle-timeout", "20"}, "must be longer than --ping-interval (20 s)");  // against the default
  check_refused({"--ping-interval", "60"}, "--idle-timeout (60 s)");
  const Outcome ok = parse({"--ping-interval", "30", "--idle-timeout", "30.5"});
  CHECK(ok.parsed.run);
}

TEST_CASE("options: invalid values are refused with exit 2 and a message naming the flag", "[app]") {
  const Scratch scratch;
  SECTION("addresses, paths and names") {
    check_refused({"--listen", "127.0.0.1"}, "--listen: expected HOST:PORT");
    check_refused({"--listen", "127.0.0.1:65536"}, "--listen: expected HOST:PORT");
    check_refused({"--listen", ":8080"}, "--listen: expected HOST:PORT");
    check_refused({"--listen", "::1:8080"}, "--listen: expected HOST:PORT");
    check_refused({"--data", ""}, "--data: the path is empty");
    check_refused({"--redis", "http://127.0.0.1:6379"}, "redis");
    check_refused({"--redis", "redis://127.0.0.1:notaport"}, "redis");
    check_refused({"--node-id", ""}, "--node-id: expected 1 to 64 characters");
    check_refused({"--node-id", "has space"}, "--node-id: expected 1 to 64 characters");
    check_refused({"--node-id", "slash/y"}, "--node-id");
    check_refused({"--node-id", std::string(65, 'n')}, "--node-id");
    check_refused({"--auth", "basic"}, "--auth: expected 'accounts', 'open' or 'jwt', got 'basic'");
    check_refused({"--web-root", scratch.path("no-such-dir")}, "--web-root: '" + scratch.path("no-such-dir") + "' is not a directory");
    check_refused({"--web-root", scratch.path("key.txt")}, "is not a directory");
    check_refused({"--log-level", "verbose"}, "--log-level: expected debug, info, warn or error, got 'verbose'");
  }
  SECTION("whole numbers") {
    check_refused({"--threads", "0"}, "--threads: expected a whole number from 1 to 256, got '0'");
    check_refused({"--threads", "257"}, "--threads: expected a whole number from 1 to 256");
    check_refused({"--threads", "-1"}, "--threads: expected a whole number");
    check_refused({"--threads", ""}, "--threads: expected a whole number");
    check_refused({"--threads", "2x"}, "--threads: expected a whole number");
    check_refused({"--threads", "1.5"}, "--threads: expected a whole number");
    check_refused({"--max-frame-bytes", "1023"}, "--max-frame-bytes: expected a whole number from 1024 to 16777216");
    check_refused({"--max-frame-bytes", "16777217"}, "--max-frame-bytes");
    check_refused({"--max-frame-bytes", "99999999999999999999999"}, "--max-frame-bytes");  // overflows 64 bits
    check_refused({"--max-message-chars", "0"}, "--max-message-chars: expected a whole number from 1 to 1000000");
    check_refused({"--max-message-chars", "1000001"}, "--max-message-chars");
    check_refused({"--max-queue-bytes", "1000"}, "--max-queue-bytes: expected a whole number from 1024");
    check_refused({"--max-queue-frames", "0"}, "--max-queue-frames: expected a whole number from 1 to 1000000");
    check_refused({"--max-rooms-per-connection", "0"}, "--max-rooms-per-connection: expected a whole number from 1 to 100000");
    check_refused({"--max-rooms-per-connection", "abc"}, "--max-rooms-per-connection");
  }
  SECTION("real numbers") {
    check_refused({"--slow-client-grace", "-0.5"}, "--slow-client-grace: expected a number from 0 to 600, got '-0.5'");
    check_refused({"--slow-client-grace", "601"}, "--slow-client-grace");
    check_refused({"--rate-limit", "-1"}, "--rate-limit: expected a number from 0 to");
    check_refused({"--rate-limit", "nan"}, "--rate-limit");
    check_refused({"--rate-limit", "inf"}, "--rate-limit");
    check_refused({"--rate-limit", "fast"}, "--rate-limit");
    check_refused({"--rate-burst", "0.5"}, "--rate-burst: expected a number from 1 to");
    check_refused({"--ping-interval", "0"}, "--ping-interval: expected a number from 0.01 to 86400");
    check_refused({"--ping-interval", "1e6"}, "--ping-interval");
    check_refused({"--idle-timeout", "0.001"}, "--idle-timeout: expected a number from 0.01 to 86400");
    check_refused({"--idle-timeout", "86401"}, "--idle-timeout");
    check_refused({"--idle-timeout", "60s"}, "--idle-timeout");
  }
  SECTION("the command line itself") {
    check_refused({"--no-such-flag"}, "no-such-flag");
    check_refused({"--listen"}, "listen");  // a flag without its value
    check_refused({"extra-positional"}, "too many positional options");
    check_refused({"--port", "8080"}, "port");
  }
}

TEST_CASE("options: the hub's limits per request", "[app]") {
  const Outcome defaults = parse({});
  REQUIRE(defaults.parsed.run);
  CHECK(defaults.parsed.options.limits.hub.create_rate_per_minute == 30);
  CHECK(defaults.parsed.options.limits.hub.max_rooms == 10'000);
  CHECK(defaults.parsed.options.limits.hub.max_requests_in_flight == 32);
  CHECK(defaults.parsed.options.limits.hub.max_reply_bytes == 1024 * 1024);
  CHECK(defaults.parsed.options.limits.hub.worker_threads == 2);
  CHECK(defaults.parsed.options.limits.hub.max_exports_at_once == 1);

  const Outcome set = parse({"--create-rate=0", "--max-rooms=0", "--max-requests-in-flight=4",
                             "--max-reply-bytes=65536", "--worker-threads=3", "--max-exports=1"});
  CAPTURE(set.err);
  REQUIRE(set.parsed.run);
  CHECK(set.parsed.options.limits.hub.create_rate_per_minute == 0);
  CHECK(set.parsed.options.limits.hub.max_rooms == 0);
  CHECK(set.parsed.options.limits.hub.max_requests_in_flight == 4);
  CHECK(set.parsed.options.limits.hub.max_reply_bytes == 65536);
  CHECK(set.parsed.options.limits.hub.worker_threads == 3);
  CHECK(set.parsed.options.limits.hub.max_exports_at_once == 1);

  for (const char* bad : {"--max-requests-in-flight=0", "--max-reply-bytes=100", "--worker-threads=0",
                          "--create-rate=-1", "--max-exports=0"}) {
    const Outcome refused = parse({bad});
    CAPTURE(bad);
    CHECK(refused.parsed.exit_code == 2);
    CHECK(refused.err.find(std::string(bad).substr(2, std::string(bad).find('=') - 2)) != std::string::npos);
  }
}

}  // namespace app_options_test
