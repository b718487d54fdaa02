// Prometheus text exposition format 0.0.4 of the process counters.
#include "server/core/metrics.hpp"

#include <string_view>

namespace outloud::core {
namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::int64_t value, std::string_view labels = {}) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

void single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::int64_t value) {
  family(out, name, type, help);
  sample(out, name, value);
}

}  // namespace

std::string Metrics::render(std::int64_t store_messages, const std::string& extra) const {
  std::string out;
  out.reserve(6144 + extra.size());
  single(out, "outloud_connections_open", "gauge", "WebSocket connections open on this node.",
         connections_open.load());
  single(out, "outloud_connections_total", "counter", "WebSocket connections accepted by this node.",
         connections_total.load());
  single(out, "outloud_rooms_active", "gauge", "Rooms with at least one member connected to this node.",
         rooms_active.load());
  single(out, "outloud_messages_stored", "gauge", "Messages held by the store (every room, every node).",
         store_messages);
  single(out, "outloud_messages_appended_total", "counter", "Messages stored through this node.",
         messages_stored.load());
  single(out, "outloud_deliveries_total", "counter", "Message events queued to connections of this node.",
         deliveries.load());
  single(out, "outloud_frames_received_total", "counter", "WebSocket frames received from clients.",
         frames_received.load());

  single(out, "outloud_socket_writes_total", "counter", "Gathered writes to WebSocket connections (one system call each).",
         socket_writes.load());
  single(out, "outloud_frames_written_total", "counter", "Server frames those writes carried (messages, replies, events).",
         frames_written.load());

  family(out, "outloud_frames_refused_total", "counter", "Client frames answered with an error, by error code.");
  for (int i = 0; i < protocol::kErrorCodeCount; ++i) {
    const auto code = static_cast<protocol::ErrorCode>(i);
    std::string labels = "code=\"";
    labels.append(protocol::to_string(code)).append("\"");
    sample(out, "outloud_frames_refused_total", frames_refused[static_cast<std::size_t>(i)].load(), labels);
  }

  single(out, "outloud_slow_clients_dropped_total", "counter",
         "Connections closed because their send queue exceeded its limit.", slow_clients_dropped.load());
  single(out, "outloud_bus_gaps_filled_total", "counter",
         "Message gaps on the bus that were filled from the store.", bus_gaps_filled.load());
  delivery_latency.render(out, "outloud_delivery_seconds",
                          "From a message's send (its ts) to the write that carries it to a member's connection "
                          "completing, per delivery (each counted as late as the oldest message of its write).");
  send_store_latency.render(out, "outloud_send_store_seconds",
                            "From a send frame to its message stored durably (the sender's acknowledgement).");
  round_wait_latency.render(out, "outloud_message_round_wait_seconds",
                            "How long a message waited for its room's next round before going to a member, per "
                            "delivery (0 outside rounds).");
  socket_queue_latency.render(out, "outloud_socket_queue_seconds",
                              "From a frame queued for a WebSocket connection to the write that carries it "
                              "completing (the oldest frame of each write, counted for each of its frames).");
  out.append(extra);
  if (!extra.empty() && extra.back() != '\n') out.push_back('\n');
  return out;
}

}  // namespace outloud::core
