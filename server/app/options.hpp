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
  std::string redis_url;                 // --redis redis://HOST:PORT[/DB]; empty: embedded backends
  std::string node_id;                   // --node-id; default: the host name ("node-1" if it has none)
  std::string web_root;                  // --web-root; default <exe>/../share/outloud/web, else the source tree's
  unsigned threads = 0;                  // --threads; default: std::thread::hardware_concurrency()

  // ---- authentication ----
  std::string auth = "accounts";         // --auth accounts|open|jwt (open: demos and tests only)
  std::string jwt_key;                   // --jwt-key: HMAC secret or PEM public key (jwt mode)
  std::string jwt_key_file;              // --jwt-key-file: read the key from this file instead
  std::string jwt_algorithm = "HS256";   // --jwt-alg: HS256/384/512, RS256/384/512, ES256/384/512
  // TEST ONLY (accounts mode): with no administrator yet, make one in this organisation at start and
  // print "test administrator token: <token>" on stderr. Never for a real deployment.
  std::string test_first_admin;          // --test-first-admin ORG

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
