#include "server/net/listen_address.hpp"

#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "outloud/protocol/host_port.hpp"

namespace outloud::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  // The one host:port parser of the programs; a listen address needs its port, and 0 picks a free one.
  auto parsed = protocol::parse_host_port(text, {.port_required = true, .port_zero_allowed = true});
  auto* address = std::get_if<protocol::HostPort>(&parsed);
  if (address == nullptr) return std::nullopt;
  return ListenAddress{std::move(address->host), *address->port};
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
