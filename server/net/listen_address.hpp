// "--listen HOST:PORT": parsing the text, and resolving it to the endpoints to bind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace outloud::net {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // 0: the system picks a free port
};

// Accepts "127.0.0.1:8080", "[::1]:8080", "localhost:0", "0.0.0.0:80". nullopt if malformed.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// Resolves the host (blocking: call before the I/O threads run). IPv4 endpoints come first, duplicates
// are removed. Throws boost::system::system_error if the host does not resolve.
std::vector<boost::asio::ip::tcp::endpoint> resolve_listen_address(const ListenAddress& address);

// "127.0.0.1:8080" or "[::1]:8080".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace outloud::net
