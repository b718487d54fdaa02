#include "server/net/admission.hpp"

#include <array>

namespace outloud::net {

namespace {

// The counting key of a peer: its IPv4 address (IPv4-mapped IPv6 included), or its IPv6 /64.
std::string peer_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return std::string("4") + std::string(bytes.begin(), bytes.end());
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return peer_key(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto bytes = v6.to_bytes();
  return std::string("6") + std::string(bytes.begin(), bytes.begin() + 8);
}

}  // namespace

Admission::Ticket::Ticket(Ticket&& other) noexcept : owner_(other.owner_), peer_(std::move(other.peer_)) {
  other.owner_ = nullptr;
}

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    peer_ = std::move(other.peer_);
    other.owner_ = nullptr;
  }
  return *this;
}

void Admission::Ticket::release() {
  if (owner_) owner_->release(peer_);
  owner_ = nullptr;
}

std::optional<Admission::Ticket> Admission::admit(const boost::asio::ip::address& peer, std::string_view& refusal) {
  std::string key = peer_key(peer);
  std::lock_guard lock(mutex_);
  if (total_ >= limits_.max_connections) {
    ++refused_total_;
    refusal = "too many connections to this server";
    return std::nullopt;
  }
  auto& count = per_peer_[key];
  if (count >= limits_.max_connections_per_address) {
    ++refused_per_address_;
    refusal = "too many connections from this address";
    return std::nullopt;
  }
  ++count;
  ++total_;
  return Ticket(this, std::move(key));
}

std::size_t Admission::open() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::string Admission::metrics_text() const {
  std::string out =
      "# HELP outloud_tcp_connections_open TCP connections (HTTP and WebSocket) held under the connection caps.\n"
      "# TYPE outloud_tcp_connections_open gauge\n"
      "outloud_tcp_connections_open " + std::to_string(open()) + "\n"
      "# HELP outloud_connections_refused_total Newcomers answered 503 and closed, by the limit they met.\n"
      "# TYPE outloud_connections_refused_total counter\n";
  const auto line = [&out](const char* reason, std::uint64_t value) {
    out.append("outloud_connections_refused_total{reason=\"").append(reason).append("\"} ");
    out.append(std::to_string(value)).append("\n");
  };
  line("max_connections", refused_total_.load());
  line("max_connections_per_address", refused_per_address_.load());
  line("descriptor_limit", refused_descriptors_.load());
  return out;
}

void Admission::release(const std::string& peer) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = per_peer_.find(peer);
  if (it != per_peer_.end() && --it->second == 0) per_peer_.erase(it);
}

}  // namespace outloud::net
