// Every setting and limit of outloud-server, with its default. Parsed from the command line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace outloud::app {

struct Options {
  // ---- where and what ----
  std::string listen = "127.0.0.1:8080";  // --listen HOST:PORT ("[::1]:8080", "localhost:0"; port 0: any free port)
  std::string data = "./outloud.db";     // --data: the embedded database file (single-node mode)
  // --redis redis://[[USER]:PASSWORD@]HOST:PORT[/DB] or
  // redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER_NAME[/DB]; empty: embedded backends
  std::string redis_url;
  int redis_wait_replicas = 0;           // --redis-wait-replicas: `sent` only once N replicas have it (WAIT); 0: no wait
  std::size_t redis_wait_timeout_ms = 1'000;  // --redis-wait-timeout-ms: WAIT's timeout (≤ 4000); then `unavailable`
  std::string node_id;                   // --node-id; default: the host name ("node-1" if it has none)
  std::string web_root;                  // --web-root; default <exe>/../share/outloud/web, else the source tree's
  unsigned threads = 0;                  // --threads; default: std::thread::hardware_concurrency()

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
  double retention_sweep_s = 3600;                      // --retention-sweep: seconds between retention sweeps

  // ---- accounts and browsers ----
  std::string public_url;                // --public-url https://HOST[:PORT]: links in emails, Secure cookie when https
  std::vector<std::string> allowed_origins;  // --allowed-origin (repeatable): browser origins besides the server's own
  std::string smtp_url;                  // --smtp smtp://HOST:PORT: email sign-in links (needs --public-url)
  std::string smtp_from;                 // --smtp-from: sender address; default outloud@<public-url host>
  std::size_t max_failed_attempts = 10;  // --max-failed-attempts: failed sign-in/redeem/setup per address per minute; 0: no limit

  // ---- limits per connection ----
  std::size_t max_frame_bytes = 64 * 1024;          // --max-frame-bytes: larger frames close with 1009
  std::size_t max_message_chars = 16'000;           // --max-message-chars: `send` text, characters
  // A client with more than this queued, whose current write has been stuck for --slow-client-grace,
  // is dropped as a slow consumer (close 1008); with 8 times this queued it is dropped at once.
  std::size_t max_queue_bytes = 4 * 1024 * 1024;    // --max-queue-bytes
  std::size_t max_queue_frames = 4096;              // --max-queue-frames: same, counted in frames
  double slow_client_grace_s = 1;                   // --slow-client-grace: seconds
  double rate_limit = 30;                           // --rate-limit: frames per second; 0: unlimited
  double rate_burst = 60;                           // --rate-burst: frames allowed at once
  std::size_t max_rooms_per_connection = 100;       // --max-rooms-per-connection
  double ping_interval_s = 20;                      // --ping-interval: seconds between pings
  double idle_timeout_s = 60;                       // --idle-timeout: seconds of silence before closing
  double hello_timeout_s = 10;                      // --hello-timeout: seconds to a successful hello, or close 1008

  // ---- connections ----
  // Beyond these a newcomer is answered 503 at once and closed (IPv6 peers counted per /64).
  std::size_t max_connections = 10'000;             // --max-connections: TCP connections in all
  std::size_t max_connections_per_address = 256;    // --max-connections-per-address

  // ---- for tests only: shorter timings and weaker guarantees than any deployment should use ----
  std::size_t presence_ttl_ms = 25'000;      // --presence-ttl-ms: a cluster presence entry not refreshed expires
  std::size_t presence_refresh_ms = 8'000;   // --presence-refresh-ms: how often a node refreshes its entries
  std::size_t presence_sweep_ms = 2'000;     // --presence-sweep-ms: how often a node sweeps expired entries
  bool unsafe_no_fsync = false;              // --unsafe-no-fsync: SQLite synchronous=OFF (to prove a test catches it)
  std::size_t test_fault_after_ms = 0;       // --test-fault-after-ms: an I/O handler throws then; 0: never
  std::size_t test_breakout_minute_ms = 60'000;  // --test-breakout-minute-ms: how long a breakout `minute` lasts

  // ---- limits per request (the hub) ----
  double create_rate = 30;                          // --create-rate: rooms one user may create per minute; 0: unlimited
  std::size_t max_rooms = 10'000;                   // --max-rooms: rooms in all (breakout groups aside); 0: unlimited
  std::size_t max_requests_in_flight = 32;          // --max-requests-in-flight: per connection
  std::size_t max_reply_bytes = 1024 * 1024;        // --max-reply-bytes: messages in one history/joined reply
  std::size_t worker_threads = 2;                   // --worker-threads: records, large pages, token checks
  std::size_t max_exports = 1;                      // --max-exports: records built at once; more wait
  std::size_t search_scan = 1000;                   // --search-scan: Redis store: newest messages one search reads
  std::size_t store_readers = 2;                    // --store-readers: SQLite read-only connections for pages
  std::size_t store_bulk_readers = 1;               // --store-bulk-readers: more, for history pages and records only, at a lower priority
  // Members joined with `presence_limit` get a room's presence changes coalesced: at most one
  // batch per flush interval in a room with this many members on the node, each change at once below.
  std::size_t presence_immediate_below = 20;        // --presence-immediate-below: members
  std::size_t presence_flush_ms = 250;              // --presence-flush-ms: between batches of a busy room

  // ---- diagnostics ----
  std::string log_level = "info";        // --log-level debug|info|warn|error
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
