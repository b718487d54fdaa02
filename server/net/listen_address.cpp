#include "server/net/listen_address.hpp"

#include <algorithm>
#include <charconv>

#include <boost/asio/io_context.hpp>

namespace outloud::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return std::nullopt;  // bare IPv6 needs brackets
    port = text.substr(colon + 1);
  }
  if (out.host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

std::vector<tcp::endpoint> resolve_listen_address(const ListenAddress& address) {
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(address.host, std::to_string(address.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    if (std::find(endpoints.begin(), endpoints.end(), entry.endpoint()) == endpoints.end())
      endpoints.push_back(entry.endpoint());
  }
  std::stable_partition(endpoints.begin(), endpoints.end(), [](const tcp::endpoint& e) { return e.address().is_v4(); });
  return endpoints;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

}  // namespace outloud::net
