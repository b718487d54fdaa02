// Admission of TCP connections: at most max_connections in all and max_connections_per_address
// from one peer (IPv6 peers are counted per /64, which one host usually holds whole). A connection
// holds a Ticket for its lifetime; dropping the ticket frees its place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "server/limits/limits.hpp"

namespace outloud::net {

using ConnectionLimits = limits::Connections;

class Admission {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }

   private:
    friend class Admission;
    Ticket(Admission* owner, std::string peer) : owner_(owner), peer_(std::move(peer)) {}
    void release();
    Admission* owner_ = nullptr;  // the Admission outlives every ticket (both live in the ServerContext)
    std::string peer_;
  };

  Admission(ConnectionLimits limits) : limits_(limits) {}  // NOLINT: implicit, for aggregate init

  // A ticket if the peer may connect; otherwise nullopt and `refusal` says which cap was reached.
  std::optional<Ticket> admit(const boost::asio::ip::address& peer, std::string_view& refusal);
  std::size_t open() const;
  // A newcomer turned away at the file-descriptor limit (counted for /metrics).
  void refused_at_descriptor_limit(std::size_t count) { refused_descriptors_ += count; }
  // Prometheus text: connections open, and refused by reason (appended to /metrics).
  std::string metrics_text() const;

 private:
  void release(const std::string& peer);

  const ConnectionLimits limits_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_peer_;
  std::atomic<std::uint64_t> refused_total_{0};
  std::atomic<std::uint64_t> refused_per_address_{0};
  std::atomic<std::uint64_t> refused_descriptors_{0};
};

}  // namespace outloud::net
