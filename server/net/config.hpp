// Shared state of the network layer. Its limits and their defaults are in limits/limits.hpp; the
// server fills them from the command line (app/options.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "server/backend/bus.hpp"
#include "server/backend/store.hpp"
#include "server/core/hub.hpp"
#include "server/core/metrics.hpp"
#include "server/limits/limits.hpp"
#include "server/net/admission.hpp"
#include "server/net/client_address.hpp"
#include "server/net/http_api.hpp"
#include "server/net/origin_policy.hpp"
#include "server/net/session_registry.hpp"

namespace outloud::net {

using HttpLimits = limits::Http;
using WebSocketLimits = limits::WebSocket;

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
  Admission admission;  // counts every accepted TCP connection against ConnectionLimits
  // Browsers from other sites may not POST or open the WebSocket (access.md "Origins").
  OriginPolicy origins{"", {}};
  // The /api endpoints of accounts (and GET /api/me in every mode); null: none.
  std::shared_ptr<HttpApi> api{};
  // --trusted-proxy: the /api endpoints' per-address limits count the client its X-Forwarded-For names.
  TrustedProxies trusted_proxies{};
};

}  // namespace outloud::net
