// Every setting of outloud-server, with its default, and its limits (limits/limits.hpp holds them
// with their defaults; the flag of each is in parse_options). Parsed from the command line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "server/limits/limits.hpp"

namespace outloud::app {

struct Options {
  // ---- where and what ----
  std::string listen = "127.0.0.1:8080";  // --listen HOST:PORT ("[::1]:8080", "localhost:0"; port 0: any free port)
  std::string data = "./outloud.db";     // --data: the embedded database file (single-node mode)
  // --redis redis://[[USER]:PASSWORD@]HOST:PORT[/DB] or
  // redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER_NAME[/DB]; empty: embedded backends
  std::string redis_url;
  std::string redis_url_file;            // --redis-url-file: read the --redis URL from this file instead
  std::string node_id;                   // --node-id; default: the host name ("node-1" if it has none)
  std::string web_root;                  // --web-root; default <exe>/../share/outloud/web, else the source tree's
  unsigned threads = 0;                  // --threads; default: std::thread::hardware_concurrency()
  unsigned strands = 0;                  // --strands; default: threads

  // ---- authentication ----
  std::string auth = "accounts";         // --auth accounts|open|jwt (open: demos and tests only)
  std::string jwt_key;                   // --jwt-key: HMAC secret or PEM public key (jwt mode)
  std::string jwt_key_file;              // --jwt-key-file: read the key from this file instead
  std::string jwt_algorithm = "HS256";   // --jwt-alg: HS256/384/512, RS256/384/512, ES256/384/512
  std::string jwt_audience;              // --jwt-audience: when set, a token's `aud` must name it
  std::string jwt_issuer;                // --jwt-issuer: when set, a token's `iss` must be it
  bool jwt_allow_no_exp = false;         // --jwt-allow-no-exp: accept tokens without `exp` (never expiring)

  // ---- rooms (access.md) ----
  std::string labels = "OFFICIAL,OFFICIAL-SENSITIVE";  // --labels: allowed room labels; the first is the default

  // ---- accounts and browsers ----
  std::string public_url;                // --public-url https://HOST[:PORT]: links in emails, Secure cookie when https
  std::vector<std::string> trusted_proxies;  // --trusted-proxy (repeatable): whose X-Forwarded-For names the client
  std::vector<std::string> allowed_origins;  // --allowed-origin (repeatable): browser origins besides the server's own
  std::string smtp_url;                  // --smtp smtp://HOST:PORT: email sign-in links (needs --public-url)
  std::string smtp_url_file;             // --smtp-url-file: read the --smtp URL from this file instead
  std::string smtp_from;                 // --smtp-from: sender address; default outloud@<public-url host>

  // ---- for tests only: shorter timings and weaker guarantees than any deployment should use ----
  // (--presence-ttl-ms, --presence-refresh-ms, --presence-sweep-ms and --test-breakout-minute-ms
  // set limits below.)
  bool unsafe_no_fsync = false;              // --unsafe-no-fsync: SQLite synchronous=OFF (to prove a test catches it)
  std::size_t test_fault_after_ms = 0;       // --test-fault-after-ms: an I/O handler throws then; 0: never

  // ---- diagnostics ----
  std::string log_level = "info";        // --log-level debug|info|warn|error

  // ---- every limit: connections, WebSocket, HTTP, hub, store, Redis, presence ----
  outloud::limits::Limits limits;
};

// The outcome of parsing: run with `options`, or exit with `exit_code` (0 after --help/--version,
// 2 for invalid arguments) after `message` has been printed.
struct ParsedOptions {
  Options options;
  bool run = false;
  int exit_code = 0;
};

ParsedOptions parse_options(int argc, const char* const argv[]);

}  // namespace outloud::app
