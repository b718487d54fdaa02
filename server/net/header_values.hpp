// Small helpers for HTTP header values (RFC 9110), shared by the cookie and WebSocket code.
#pragma once

#include <string_view>

namespace outloud::net {

// `text` without the optional whitespace (spaces and tabs, RFC 9110 "OWS") around it.
inline std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace outloud::net
