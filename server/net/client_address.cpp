#include "server/net/client_address.hpp"

#include "server/accounts/attempt_limiter.hpp"

#include <stdexcept>

namespace outloud::net {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  // An IPv4 client of a dual-stack proxy may be written as ::ffff:a.b.c.d.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::address(ip::make_address_v4(ip::v4_mapped, address.to_v6()));
  }
  return address;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    boost::system::error_code ec;
    if (entry.find('/') == std::string::npos) {
      const auto address = parse_address(entry);
      if (!address) throw std::invalid_argument("not an address or network: " + entry);
      if (address->is_v4()) {
        v4_.emplace_back(address->to_v4(), 32);
      } else {
        v6_.emplace_back(address->to_v6(), 128);
      }
      continue;
    }
    if (entry.find(':') == std::string::npos) {
      const auto network = ip::make_network_v4(entry, ec);
      if (ec) throw std::invalid_argument("not an address or network: " + entry);
      v4_.push_back(network.canonical());
    } else {
      const auto network = ip::make_network_v6(entry, ec);
      if (ec) throw std::invalid_argument("not an address or network: " + entry);
      v6_.push_back(network.canonical());
    }
  }
}

bool TrustedProxies::trusts(const ip::address& given) const {
  ip::address address = given;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  if (address.is_v4()) {
    const ip::network_v4 host(address.to_v4(), 32);
    for (const auto& network : v4_) {
      if (host == network || host.is_subnet_of(network)) return true;
    }
    return false;
  }
  const ip::network_v6 host(address.to_v6(), 128);
  for (const auto& network : v6_) {
    if (host == network || host.is_subnet_of(network)) return true;
  }
  return false;
}

ip::address client_address(const ip::address& peer, std::string_view forwarded_for, const TrustedProxies& proxies) {
  if (proxies.empty() || !proxies.trusts(peer)) return peer;
  ip::address client = peer;
  // Right to left: each hop appended the address it saw; the first one not trusted is the client.
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const auto entry = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    const auto address = parse_address(entry);
    if (!address) break;  // unreadable: believe nothing further left
    client = *address;
    if (!proxies.trusts(client)) break;
  }
  return client;
}

std::string client_key(const ip::address& peer, std::string_view forwarded_for, const TrustedProxies& proxies) {
  return accounts::AttemptLimiter::key_of(client_address(peer, forwarded_for, proxies));
}

}  // namespace outloud::net
