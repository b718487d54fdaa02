// Limits and shared state of the network layer. The server fills these from app/options.hpp, which
// holds the documented defaults; the defaults here only mirror them for tests and tools.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "server/backend/bus.hpp"
#include "server/backend/store.hpp"
#include "server/core/hub.hpp"
#include "server/core/metrics.hpp"
#include "server/net/http_api.hpp"
#include "server/net/origin_policy.hpp"
#include "server/net/session_registry.hpp"

namespace outloud::net {

struct HttpLimits {
  std::chrono::milliseconds request_timeout{30'000};  // reading one request, or writing its response
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 16 * 1024;  // nothing the server serves takes a body
};

struct WebSocketLimits {
  std::size_t max_frame_bytes = 64 * 1024;  // larger incoming messages are closed with 1009
  std::size_t max_message_chars = 16'000;   // `send` text, in characters
  // A client is slow when more than this is queued for it and its writes have not progressed for
  // slow_grace; at hard_queue_factor times the caps it is slow at once. The grace lets a client that
  // reads at full speed absorb a burst (a group commit fans out many messages in one go).
  std::size_t max_queue_bytes = 4 * 1024 * 1024;
  std::size_t max_queue_frames = 4096;
  std::chrono::milliseconds slow_grace{1'000};
  std::size_t hard_queue_factor = 8;
  double rate_limit = 30;   // frames per second accepted from one connection; 0: unlimited
  double rate_burst = 60;   // frames a connection may send at once after a quiet spell
  std::chrono::milliseconds ping_interval{20'000};
  std::chrono::milliseconds idle_timeout{60'000};      // nothing heard (no frame, no pong) for this long: close
  std::chrono::milliseconds handshake_timeout{30'000};  // the upgrade must complete within this
  std::chrono::milliseconds close_timeout{2'000};       // a closing handshake may take this long, then the socket is cut
  std::chrono::milliseconds slow_close_timeout{500};    // same for a slow consumer, which is not reading anyway
};

// Everything an HTTP or WebSocket session needs; shared by every session of the process.
struct ServerContext {
  std::shared_ptr<core::Hub> hub;
  backend::Store& store;
  backend::Bus& bus;
  core::Metrics& metrics;
  std::string node_id;
  std::filesystem::path web_root;  // canonical; empty when the web client is not installed
  HttpLimits http;
  WebSocketLimits ws;
  SessionRegistry sessions;
  // Set in jwt mode: HTTP endpoints with room data (the record) need "Authorization: Bearer <token>".
  core::Authenticator http_authenticator;
  // Browsers from other sites may not POST or open the WebSocket (access.md "Origins").
  OriginPolicy origins{"", {}};
  // The /api endpoints of accounts (and GET /api/me in every mode); null: none.
  std::shared_ptr<HttpApi> api;
};

}  // namespace outloud::net
