// Which address a request comes from, for the per-address limits of the /api endpoints. Behind a
// reverse proxy every request's peer is the proxy: with the proxy's address trusted
// (--trusted-proxy), the client is the right-most address of X-Forwarded-For that is not itself a
// trusted proxy (nginx's $proxy_add_x_forwarded_for appends the peer it saw; what a client wrote
// to the left of that is not believed).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outloud::net {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each entry an address or a network (10.0.0.0/8, fd00::/8); throws std::invalid_argument on a bad one.
  explicit TrustedProxies(const std::vector<std::string>& entries);
  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool trusts(const boost::asio::ip::address& address) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The client's address: `peer` itself unless it is a trusted proxy and `forwarded_for` (the
// X-Forwarded-For header, comma-separated) names another address.
boost::asio::ip::address client_address(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                                        const TrustedProxies& proxies);
// That client as the per-address limits count it (AttemptLimiter::key_of: an IPv6 /64 is one).
std::string client_key(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                       const TrustedProxies& proxies);

}  // namespace outloud::net
