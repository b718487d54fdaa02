// Every limit of outloud-server in one place, each default written once (here): what it bounds and
// why that default. The modules take their group from here (net::WebSocketLimits is
// limits::WebSocket, core::HubOptions holds limits::Hub, ...); app/options.cpp maps the flags into
// one `Limits` and prints these defaults in --help (compared whole, a test checks that no flag
// given means exactly these). Only the standard library: any module may include it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace outloud::limits {

using std::chrono::milliseconds;

// ---- admission of TCP connections (net/admission.hpp) ----
// Beyond either cap a newcomer gets 503 at once and is closed, before it costs a session.
struct Connections {
  std::size_t max_connections = 10'000;           // in all: well under a raised descriptor limit
  std::size_t max_connections_per_address = 256;  // per peer (an IPv6 /64 counts as one): a NAT of an office fits
  friend bool operator==(const Connections&, const Connections&) = default;
};

// ---- one WebSocket connection (net/websocket_session.cpp) ----
struct WebSocket {
  std::size_t max_frame_bytes = 64 * 1024;  // larger incoming messages are closed with 1009: room for a full `send`
  std::size_t max_message_chars = 16'000;   // `send` text, in characters: a long email's worth
  // A client is slow when more than this is queued for it and its writes have not progressed for
  // slow_grace; at hard_queue_factor times the caps it is slow at once. The grace lets a client that
  // reads at full speed absorb a burst (a group commit fans out many messages in one go).
  std::size_t max_queue_bytes = 4 * 1024 * 1024;
  std::size_t max_queue_frames = 4096;
  milliseconds slow_grace{1'000};
  std::size_t hard_queue_factor = 8;
  double rate_limit = 30;  // frames per second accepted from one connection (0: unlimited): far above typing
  double rate_burst = 60;  // frames a connection may send at once after a quiet spell (a join of many rooms)
  milliseconds ping_interval{20'000};      // below the usual 30-60 s idle cut of proxies and NATs
  milliseconds idle_timeout{60'000};       // nothing heard (no frame, no pong) for this long: close; > ping_interval
  milliseconds handshake_timeout{30'000};  // the upgrade must complete within this
  milliseconds hello_timeout{10'000};      // a successful `hello` must come within this, or close 1008
  milliseconds close_timeout{2'000};       // a closing handshake may take this long, then the socket is cut
  milliseconds slow_close_timeout{500};    // same for a slow consumer, which is not reading anyway
  friend bool operator==(const WebSocket&, const WebSocket&) = default;
};

// ---- plain HTTP requests (net/http_session.cpp) ----
struct Http {
  milliseconds request_timeout{30'000};  // reading one request, or writing its response: a slow link, not a slowloris
  std::size_t max_header_bytes = 16 * 1024;  // browsers' cookies and headers fit well within
  std::size_t max_body_bytes = 16 * 1024;    // nothing the server serves takes a larger body
  friend bool operator==(const Http&, const Http&) = default;
};

// ---- the /api endpoints: sign-in and accounts over HTTP (net/http_api.hpp) ----
struct Api {
  std::size_t max_body_bytes = 4096;      // larger POST bodies: 413 (an email or a code fits many times)
  std::size_t max_failed_attempts = 10;   // failed setup/redeem/confirm per address per window (access.md): then 429
  std::chrono::seconds attempt_window{60};
  std::size_t max_tracked_addresses = 10'000;  // addresses the attempt limiter remembers: bounded memory
  // Sign-in emails to one recipient, whoever asks: past this many in the window none is sent (a
  // mail bomb from many client addresses reaches nobody more than this).
  std::size_t max_mails_per_recipient = 5;
  std::chrono::seconds recipient_window{15 * 60};
  // The cookie lives as long as a session unused (--session-days), renewed by GET /api/me; this
  // only when sessions never lapse (--session-days 0).
  std::chrono::seconds session_cookie_max_age{30 * 24 * 60 * 60};
  friend bool operator==(const Api&, const Api&) = default;
};

// ---- the accounts service (accounts/accounts.hpp) ----
struct Accounts {
  std::int64_t sign_in_code_ttl_ms = 15 * 60 * 1000;  // email links: 15 minutes (access.md)
  int invitation_max_hours = 24 * 30;                  // `hours` above this: bad_request
  int invitation_max_uses = 1000;                      // `uses` above this: bad_request
  // A session unused this long stops working, on every node (--session-days; 0: never).
  std::int64_t session_idle_ms = 30LL * 24 * 60 * 60 * 1000;
  // A session's last_used is written at most this often (and at most a tenth of session_idle_ms,
  // so a session in use never lapses): no store write per request.
  std::int64_t touch_interval_ms = 60 * 60 * 1000;
  std::int64_t session_sweep_interval_ms = 60 * 60 * 1000;  // how often lapsed sessions are deleted...
  int session_sweep_batch = 1000;                           // ...at most this many per store request
  // Unknown, expired or signed-out session tokens (hello, cookie, Bearer) per address per window,
  // each audited: past it a wrong token from there answers rate_limited / 429 (and is not audited
  // one by one) until the window slides; a right one still works. A stale cookie costs one or two.
  std::size_t max_failed_token_checks = 60;
  std::chrono::seconds token_check_window{60};
  std::size_t max_tracked_addresses = 10'000;  // addresses the token-check limiter remembers
  int max_list = 500;                                  // people, sessions, invitations, members per answer
  int audit_default_limit = 100;                       // audit page without a limit
  int audit_max_limit = 500;                           // ...and with one
  friend bool operator==(const Accounts&, const Accounts&) = default;
};

// ---- sign-in emails over SMTP (mail/smtp_mailer.hpp) ----
struct Mail {
  std::chrono::seconds timeout{30};  // one message, connect to QUIT: a stuck mail server holds up no more
  std::size_t max_queue = 1000;      // messages waiting; more are dropped (bounded memory under a flood)
  friend bool operator==(const Mail&, const Mail&) = default;
};

// ---- JWT mode (core/jwt_authenticator.hpp) ----
struct Jwt {
  // `exp` and `nbf` are judged this far in the token's favour: the issuer's clock and ours differ a little.
  std::chrono::seconds clock_leeway{30};
  friend bool operator==(const Jwt&, const Jwt&) = default;
};

// ---- the facilitation engine, run by the hub (facilitation/engine.hpp) ----
struct Facilitation {
  std::size_t max_polls = 200;      // polls per room over its lifetime; opening one more is a conflict
  std::int64_t minute_ms = 60'000;  // how long a breakout `minute` lasts (shorter only under a test flag)
  friend bool operator==(const Facilitation&, const Facilitation&) = default;
};

// ---- the hub: rooms, requests and presence (core/hub.hpp) ----
struct Hub {
  std::size_t max_rooms_per_connection = 100;  // rooms one connection has joined at once: a busy coordinator
  int history_default_limit = 50;              // messages a join or `history` gets without a limit
  int history_max_limit = 200;                 // ...and at most with one
  int recovery_max_messages = 1000;            // join with `since` recovers at most this many
  // access.md: how often rooms' retention is applied, at most retention_batch messages per room each time.
  milliseconds retention_sweep_interval{60 * 60 * 1000};
  int retention_batch = 5000;
  // `rooms` without a limit gets this many: the largest page (protocol::kMaxRoomsPage), since a
  // client written to the contract's plain `rooms` does not know `next`.
  int rooms_page_default = 500;
  // Room creation: per user a bucket of this many per minute (0: unlimited), and this many rooms
  // in all (0: unlimited). Breakout groups, made by their session, are not counted against either.
  double create_rate_per_minute = 30;
  std::int64_t max_rooms = 10'000;
  // Frames of one connection being carried out or waiting their turn; beyond: rate_limited.
  int max_requests_in_flight = 32;
  // Message bytes in one history or joined reply: fewer messages than asked when they are large.
  std::size_t max_reply_bytes = 1 << 20;
  // Threads for work kept off the hub's strands (records, large pages, token checks), and how many
  // records may be built at once (each holds its room's messages).
  int worker_threads = 2;
  int max_exports_at_once = 1;
  int max_history_reads_at_once = 4;
  int search_scan = 1000;  // stores without a search index read at most this many messages per search
  // Presence of large rooms (protocol/README.md "Large rooms"), for members that join with
  // `presence_limit`: their presence changes are coalesced into one `presence_batch` per room at
  // most every presence_flush_interval, except in rooms with fewer than presence_immediate_below
  // members on this node, where each change goes out at once (small groups feel live).
  milliseconds presence_flush_interval{250};
  std::size_t presence_immediate_below = 20;
  // Messages of rooms with at least message_rounds_from members on this node, once they get a
  // message or more per message_round_interval (a moving average), go out in rounds at most one
  // every interval: a message that comes sooner waits for the next round and leaves with the others
  // that waited, in one write to each member. A busy large room then costs
  // a system call per member per round instead of per message, and cannot hold the thread from
  // the other rooms; a room with a message now and then sees no delay. 0 ms: every message at once.
  milliseconds message_round_interval{20};
  std::size_t message_rounds_from = 100;
  int presence_page_default = 100;  // `presence_page` without a limit
  // A failed read of messages missed on the bus is retried after this, doubling up to the maximum.
  milliseconds gap_retry_initial{200};
  milliseconds gap_retry_max{5000};
  // Frames of one connection held back (before the answer to its `hello`, or behind a join of
  // their room still being answered); beyond: rate_limited. A client pipelining its joins fits.
  std::size_t max_waiting_frames = 256;
  // Users with a room-creation allowance remembered; above, those whose bucket has refilled are
  // forgotten (a full bucket is what a new user gets anyway): bounded memory.
  std::size_t max_create_allowances = 4096;
  std::size_t max_mentions = 50;       // people one message names at most
  std::size_t max_mention_marks = 50;  // `@` of one message looked at: bounded work per send
  // Members told of a room's change in the list (accounts mode) at most: bounded notice size.
  std::size_t max_notice_members = 5000;
  std::size_t export_max_messages = 200'000;  // messages one session record reads at most (memory)
  // Text (message and name bytes) one record may hold: beyond it the export is refused (too_large),
  // since the record and its reply are built whole, a few times this in memory.
  std::size_t export_max_text_bytes = 64 * 1024 * 1024;
  Facilitation facilitation;
  friend bool operator==(const Hub&, const Hub&) = default;
};

// ---- the embedded SQLite store (embedded/sqlite_store.hpp, sqlite_accounts.hpp) ----
struct Store {
  int busy_timeout_ms = 5000;     // wait for another process holding the file (a backup tool)
  std::size_t max_batch = 1000;   // requests handled in one transaction at most; 1: one per request
  std::int64_t max_db_pages = 0;  // 0: unlimited; else writes beyond it fail cleanly (disk quota)
  // Read-only connections (each on its own thread) that read pages of messages beside the writer;
  // 0: the writer's thread reads them too, between its batches (always so for ":memory:").
  std::size_t readers = 2;
  // More read-only connections beside those (when readers > 0) that read only bulk pages (history
  // pages, session records), on threads of a lower priority; 0: the readers above read them too,
  // after any interactive read.
  std::size_t bulk_readers = 1;
  friend bool operator==(const Store&, const Store&) = default;
};

// ---- one connection to Redis (redis/connection.hpp) ----
struct RedisConnection {
  milliseconds connect_timeout{2000};  // resolve + TCP connect + handshake: loopback or a LAN answers far sooner
  milliseconds command_timeout{5000};  // oldest unanswered command; then reconnect (a Redis that hangs is down)
  milliseconds backoff_initial{100};   // first retry delay, doubled per failure...
  milliseconds backoff_max{5000};      // ...up to this; each delay is jittered to [d/2, d]
  milliseconds ping_interval{1000};    // subscriber: PING this often...
  milliseconds ping_timeout{3000};     // ...and reconnect when nothing came for this long
  friend bool operator==(const RedisConnection&, const RedisConnection&) = default;
};

// ---- the Redis backends (redis/redis_backends.hpp) ----
struct Redis {
  RedisConnection connection;
  std::int64_t stream_maxlen = 0;  // 0: keep every message; else trim streams to ~this
  // 0: `sent` once the master has the message. N > 0: `sent` only once N replicas confirmed it
  // (WAIT N wait_timeout after the append); fewer in time gives `unavailable` (retry with the nonce).
  // Every other acknowledged write (rooms, edits, facilitation, accounts, invitations) waits alike.
  // wait_timeout stays below connection.command_timeout, which would drop the connection first.
  int wait_replicas = 0;
  milliseconds wait_timeout{1000};
  friend bool operator==(const Redis&, const Redis&) = default;
};

// ---- presence shared by the nodes through Redis (redis/redis_presence.hpp) ----
struct Presence {
  milliseconds ttl{25000};     // an entry not refreshed for this long expires: a dead node's people leave
  milliseconds refresh{8000};  // how often this node refreshes its entries: three tries before the ttl
  milliseconds sweep{2000};    // how often this node sweeps expired entries: a leave shows within this
  int sweep_batch = 500;       // entries removed per sweep at most: one sweep stays a short command
  // After an outage, how far apart the nodes may reconnect: the Redis backends set it to their
  // connection's backoff_max.
  milliseconds reconnect_spread = RedisConnection{}.backoff_max;
  friend bool operator==(const Presence&, const Presence&) = default;
};

// ---- shutdown on SIGTERM/SIGINT (app/composition.cpp) ----
// Fixed, not flags: the contract gives 5 s from the signal to exit; the phases fit inside with room
// for teardown.
struct Shutdown {
  milliseconds total{3500};     // after this the I/O stops whatever is still going on
  milliseconds drain{1500};     // writes in flight get this long to be acknowledged
  milliseconds close{1500};     // WebSockets get this long to finish their closing handshake
  milliseconds watchdog{4500};  // from the signal: if teardown itself hangs (a stuck disk), exit 1
  friend bool operator==(const Shutdown&, const Shutdown&) = default;
};

// Every limit of the server that a flag or a module's options can set, by concern.
struct Limits {
  Connections connections;
  WebSocket websocket;
  Http http;
  Api api;
  Accounts accounts;
  Mail mail;
  Jwt jwt;
  Hub hub;
  Store store;
  Redis redis;
  Presence presence;
  friend bool operator==(const Limits&, const Limits&) = default;
};

}  // namespace outloud::limits
