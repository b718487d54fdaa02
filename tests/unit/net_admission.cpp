// Connection admission: the caps in total and per peer, IPv4-mapped IPv6 counted as IPv4, IPv6
// counted per /64, and a ticket's place freed when it is dropped or moved from.
#include <catch2/catch.hpp>

#include <optional>
#include <string_view>
#include <vector>

#include "server/net/admission.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_admission_test {

using outloud::net::Admission;
using outloud::net::ConnectionLimits;
using boost::asio::ip::make_address;

namespace {

std::optional<Admission::Ticket> admit(Admission& admission, const char* address, std::string_view* why = nullptr) {
  std::string_view refusal;
  auto ticket = admission.admit(make_address(address), refusal);
  if (why) *why = refusal;
  return ticket;
}

}  // namespace

TEST_CASE("admission: per address and in total", "[net][admission]") {
  Admission admission(ConnectionLimits{3, 2});
  auto a = admit(admission, "192.0.2.1");
  auto b = admit(admission, "192.0.2.1");
  REQUIRE(a);
  REQUIRE(b);
  std::string_view why;
  CHECK_FALSE(admit(admission, "192.0.2.1", &why));
  CHECK(why == "too many connections from this address");
  auto c = admit(admission, "192.0.2.2");
  REQUIRE(c);
  CHECK_FALSE(admit(admission, "192.0.2.3", &why));
  CHECK(why == "too many connections to this server");
  CHECK(admission.open() == 3);

  a.reset();  // a dropped ticket frees its place, for its address and in total
  CHECK(admission.open() == 2);
  CHECK(admit(admission, "192.0.2.1"));
  CHECK(admission.open() == 2);  // the temporary ticket above was dropped at once
}

TEST_CASE("admission: IPv4-mapped IPv6 is its IPv4 address; IPv6 counts per /64", "[net][admission]") {
  Admission admission(ConnectionLimits{100, 2});
  auto v4 = admit(admission, "198.51.100.7");
  auto mapped = admit(admission, "::ffff:198.51.100.7");
  REQUIRE(v4);
  REQUIRE(mapped);
  CHECK_FALSE(admit(admission, "198.51.100.7"));

  auto one = admit(admission, "2001:db8:1:2::1");
  auto other_host_same_64 = admit(admission, "2001:db8:1:2:ffff:ffff:ffff:ffff");
  REQUIRE(one);
  REQUIRE(other_host_same_64);
  CHECK_FALSE(admit(admission, "2001:db8:1:2::99"));
  CHECK(admit(admission, "2001:db8:1:3::1"));  // the next /64 is another address
}

TEST_CASE("admission: a moved ticket is released once", "[net][admission]") {
  Admission admission(ConnectionLimits{1, 1});
  std::vector<Admission::Ticket> held;
  {
    auto ticket = admit(admission, "203.0.113.5");
    REQUIRE(ticket);
    Admission::Ticket moved = std::move(*ticket);
    held.push_back(std::move(moved));
  }
  CHECK(admission.open() == 1);
  CHECK_FALSE(admit(admission, "203.0.113.6"));
  Admission::Ticket reassigned;
  reassigned = std::move(held.front());
  held.clear();
  CHECK(admission.open() == 1);
  reassigned = Admission::Ticket();
  CHECK(admission.open() == 0);
  CHECK(admit(admission, "203.0.113.6"));
}

}  // namespace net_admission_test
