// Who a request comes from behind a reverse proxy: X-Forwarded-For is believed only from a trusted
// proxy, and only as far left as the first hop that is not one.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "server/net/client_address.hpp"

namespace net_client_address_test {

using outloud::net::client_address;
using outloud::net::TrustedProxies;
namespace ip = boost::asio::ip;

std::string client_of(const char* peer, const char* forwarded, const TrustedProxies& proxies) {
  return client_address(ip::make_address(peer), forwarded, proxies).to_string();
}

TEST_CASE("client_address: X-Forwarded-For only from a trusted proxy, right-most untrusted hop", "[net]") {
  const TrustedProxies none;
  CHECK(client_of("127.0.0.1", "203.0.113.7", none) == "127.0.0.1");

  const TrustedProxies proxies({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  CHECK(client_of("127.0.0.1", "203.0.113.7", proxies) == "203.0.113.7");
  CHECK(client_of("127.0.0.1", " 6.6.6.6 , 203.0.113.7,10.1.2.3 ", proxies) == "203.0.113.7");
  CHECK(client_of("10.9.9.9", "2001:db8::1, fd12::5", proxies) == "2001:db8::1");
  CHECK(client_of("127.0.0.2", "203.0.113.7", proxies) == "127.0.0.2");  // not a proxy: header ignored
  CHECK(client_of("127.0.0.1", "", proxies) == "127.0.0.1");              // no header: the proxy itself
  CHECK(client_of("127.0.0.1", "10.0.0.1, 10.0.0.2", proxies) == "10.0.0.1");  // every hop trusted: the first
  CHECK(client_of("127.0.0.1", "203.0.113.7, junk", proxies) == "127.0.0.1");  // unreadable: nothing believed
  CHECK(client_of("127.0.0.1", "::ffff:203.0.113.9", proxies) == "203.0.113.9");
  CHECK(client_of("::ffff:127.0.0.1", "203.0.113.7", proxies) == "203.0.113.7");
}

TEST_CASE("TrustedProxies refuses what is not an address or a network", "[net]") {
  for (const char* bad : {"proxy.example", "10.0.0.0/33", "", "fd00::/129", "1.2.3.4/x"}) {
    CHECK_THROWS_AS(TrustedProxies({bad}), std::invalid_argument);
  }
  CHECK(TrustedProxies({"192.168.1.7/24"}).trusts(ip::make_address("192.168.1.200")));
  CHECK_FALSE(TrustedProxies({"192.168.1.7/24"}).trusts(ip::make_address("192.168.2.1")));
}

}  // namespace net_client_address_test
