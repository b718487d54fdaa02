// Parsing of the ws:// URLs the command-line programs accept.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace outloud::client {

struct WsUrl {
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // decimal text, "80" when absent
  std::string target;  // path and query, "/" when absent
  // The Host header value: host[:port], IPv6 literals bracketed.
  std::string host_header() const;
};

// Accepts ws://host[:port][/path]. wss:// is refused with a message (TLS is not built in).
// On failure returns nullopt and sets `error`.
std::optional<WsUrl> parse_ws_url(std::string_view text, std::string& error);

}  // namespace outloud::client
