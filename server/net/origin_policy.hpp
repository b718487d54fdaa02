// Which browser origins may POST to the server or open its WebSocket (access.md "Origins"): the
// server's own (its --public-url, or the Host it was reached on) and those named by --allowed-origin.
// A cookie-carrying cross-site request is the classic hijack, so everything else is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outloud::net {

// "scheme://host[:port]" lowercased, with the scheme's default port dropped (an http origin on :80
// equals one without a port). nullopt unless it is an http(s) origin with no path, query or userinfo
// (so "null" and "file://" are nullopt).
std::optional<std::string> normalize_origin(std::string_view text);

class OriginPolicy {
 public:
  // `own` (--public-url, may be empty) and `allowed` (--allowed-origin), each with or without a
  // trailing "/"; invalid ones are refused by the option parser, and ignored here.
  OriginPolicy(std::string_view own, const std::vector<std::string>& allowed);

  // Whether a request with this Origin header, reached on this Host header, may go on. A request
  // without Origin (has_origin false) is not a browser's cross-site request: it is allowed, and
  // judged by its credentials alone.
  bool allows(bool has_origin, std::string_view origin, std::string_view host) const;

 private:
  std::vector<std::string> allowed_;  // normalized, own first
};

}  // namespace outloud::net
