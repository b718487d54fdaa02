// Process-wide counters for /metrics. Atomics: updated from any thread without locks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "outloud/protocol/types.hpp"
#include "server/core/latency_histogram.hpp"

namespace outloud::core {

struct Metrics {
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::int64_t> connections_total{0};
  std::atomic<std::int64_t> rooms_active{0};  // rooms open on this node (RoomCensus keeps it)
  std::atomic<std::int64_t> messages_stored{0};  // by this node
  std::atomic<std::int64_t> deliveries{0};  // frames of message events queued to connections
  std::atomic<std::int64_t> frames_received{0};
  // Gathered writes to WebSocket connections, and the frames they carried: their ratio is how
  // much the writer coalesces (one system call per write).
  std::atomic<std::int64_t> socket_writes{0};
  std::atomic<std::int64_t> frames_written{0};
  std::atomic<std::int64_t> slow_clients_dropped{0};
  std::atomic<std::int64_t> bus_gaps_filled{0};
  std::array<std::atomic<std::int64_t>, protocol::kErrorCodeCount> frames_refused{};
  // A message's time in the server, from its `send` (its `ts`) to the write that carries it to a
  // member's connection completing, per delivery; the client's latency adds only the network and
  // its own reading. And where that time goes, stage by stage: stored (the sender's `send` to its
  // durable append), held for its room's round, and waiting in the connection's queue.
  // Messages kept for a member while it joins (sent after its `joined`) are not timed.
  LatencyHistogram delivery_latency;      // per message delivered (wall clock: across nodes too)
  LatencyHistogram send_store_latency;    // per `send`
  LatencyHistogram round_wait_latency;    // per delivery, as delivery_latency (0: no round)
  LatencyHistogram socket_queue_latency;  // per frame written, the oldest of its write

  void refused(protocol::ErrorCode code) { frames_refused[static_cast<std::size_t>(code)]++; }
  // Prometheus text exposition; `extra` lines (already formatted) are appended.
  std::string render(std::int64_t store_messages, const std::string& extra = {}) const;
};

}  // namespace outloud::core
