#include "report.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

namespace outloud::bench {
namespace {

std::string ms(std::int64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(micros) / 1000.0);
  return text;
}

std::string latency_line(const LatencyHistogram& h) {
  if (h.count() == 0) return "no samples";
  return "p50 " + ms(h.percentile(0.50)) + "  p90 " + ms(h.percentile(0.90)) + "  p99 " + ms(h.percentile(0.99)) +
         "  max " + ms(h.max()) + " ms  (" + std::to_string(h.count()) + " samples)";
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_latency(Writer& w, const char* key, const LatencyHistogram& h) {
  w.Key(key);
  w.StartObject();
  w.Key("samples");
  w.Uint64(h.count());
  w.Key("p50_ms");
  w.Double(static_cast<double>(h.percentile(0.50)) / 1000.0);
  w.Key("p90_ms");
  w.Double(static_cast<double>(h.percentile(0.90)) / 1000.0);
  w.Key("p99_ms");
  w.Double(static_cast<double>(h.percentile(0.99)) / 1000.0);
  w.Key("max_ms");
  w.Double(static_cast<double>(h.max()) / 1000.0);
  w.Key("mean_ms");
  w.Double(h.mean() / 1000.0);
  w.EndObject();
}

void write_group(Writer& w, const char* key, const GroupReport& g) {
  w.Key(key);
  w.StartObject();
  w.Key("connections");
  w.Int(g.connections);
  w.Key("connected");
  w.Int(g.connected);
  w.Key("joined");
  w.Int(g.joined);
  w.Key("deliveries");
  w.Uint64(g.deliveries);
  w.Key("measured_deliveries");
  w.Uint64(g.measured_deliveries);
  w.Key("gaps");
  w.Uint64(g.gaps);
  w.Key("duplicates");
  w.Uint64(g.duplicates);
  w.Key("undelivered");
  w.Uint64(g.undelivered);
  w.Key("closed_by_server");
  w.Int(g.closed_by_server);
  w.Key("close_reasons");
  w.StartObject();
  for (const auto& [reason, count] : g.close_reasons) {
    w.Key(reason.c_str());
    w.Int(count);
  }
  w.EndObject();
  write_latency(w, "delivery_latency", g.delivery_latency);
  w.EndObject();
}

}  // namespace

bool integrity_failed(const BenchReport& r) {
  return r.readers.gaps || r.readers.duplicates || r.readers.undelivered || r.slow.gaps || r.slow.duplicates ||
         r.unacknowledged;
}

std::string report_text(const BenchOptions& o, const BenchReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "outloud-bench %s: %d connections in %d rooms, %d senders x %.3g msg/s, %.3g s (+%.3g s warmup), "
                "%d-byte messages, %d slow consumers\n",
                o.url_text.c_str(), r.connections, r.rooms, r.senders, r.rate, r.duration, o.warmup, r.message_bytes,
                o.slow);
  out += line;
  if (!r.aborted.empty()) out += "ABORTED: " + r.aborted + "\n";
  std::snprintf(line, sizeof line, "  connections      %d connected, %d joined, %d failed to connect\n",
                r.readers.connected + r.slow.connected, r.readers.joined + r.slow.joined, r.connection_failures);
  out += line;
  std::snprintf(line, sizeof line, "  join storm       %.3f s wall, server %s CPU-s, %llu presence frames received\n",
                r.join_seconds,
                r.join_server_cpu < 0 ? "?" : std::to_string(r.join_server_cpu).c_str(),
                static_cast<unsigned long long>(r.presence_frames));
  out += line;
  std::snprintf(line, sizeof line,
                "  messages         %llu sent, %llu `sent` acks (measured window); %llu / %llu overall, %llu unacknowledged\n",
                static_cast<unsigned long long>(r.messages_sent), static_cast<unsigned long long>(r.sent_acks),
                static_cast<unsigned long long>(r.total_sent), static_cast<unsigned long long>(r.total_acks),
                static_cast<unsigned long long>(r.unacknowledged));
  out += line;
  std::snprintf(line, sizeof line, "  deliveries       %llu (%llu measured), throughput %.1f deliveries/s\n",
                static_cast<unsigned long long>(r.readers.deliveries),
                static_cast<unsigned long long>(r.readers.measured_deliveries), r.throughput);
  out += line;
  out += "  send -> sent     " + latency_line(r.ack_latency) + "\n";
  out += "  send -> message  " + latency_line(r.readers.delivery_latency) + "\n";
  out += "  order            gaps " + std::to_string(r.readers.gaps) + ", duplicates " +
         std::to_string(r.readers.duplicates) + ", undelivered " + std::to_string(r.readers.undelivered) + "\n";
  out += "  errors           ";
  if (r.errors.empty()) out += "none";
  for (const auto& [code, count] : r.errors) out += code + ": " + std::to_string(count) + "  ";
  out += "\n";
  out += "  readers closed   " + std::to_string(r.readers.closed_by_server) + " by the server";
  for (const auto& [reason, count] : r.readers.close_reasons) out += "; " + std::to_string(count) + "x " + reason;
  out += "\n";
  if (o.slow > 0) {
    std::snprintf(line, sizeof line,
                  "  slow consumers   %d joined, %d closed by the server, %llu deliveries after resuming, gaps %llu, "
                  "duplicates %llu\n",
                  r.slow.joined, r.slow.closed_by_server, static_cast<unsigned long long>(r.slow.deliveries),
                  static_cast<unsigned long long>(r.slow.gaps), static_cast<unsigned long long>(r.slow.duplicates));
    out += line;
    for (const auto& [reason, count] : r.slow.close_reasons)
      out += "                   " + std::to_string(count) + "x " + reason + "\n";
  }
  out += integrity_failed(r) ? "RESULT: FAILED (order or delivery broken)\n" : "RESULT: ok\n";
  return out;
}

std::string report_json(const BenchOptions& o, const BenchReport& r) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("url");
  w.String(o.url_text.c_str());
  w.Key("connections");
  w.Int(r.connections);
  w.Key("rooms");
  w.Int(r.rooms);
  w.Key("senders");
  w.Int(r.senders);
  w.Key("rate");
  w.Double(r.rate);
  w.Key("duration_s");
  w.Double(r.duration);
  w.Key("warmup_s");
  w.Double(o.warmup);
  w.Key("message_bytes");
  w.Int(r.message_bytes);
  w.Key("slow");
  w.Int(o.slow);
  w.Key("aborted");
  if (r.aborted.empty()) w.Null(); else w.String(r.aborted.c_str());
  w.Key("connection_failures");
  w.Int(r.connection_failures);
  w.Key("join_seconds");
  w.Double(r.join_seconds);
  w.Key("join_server_cpu_s");
  if (r.join_server_cpu < 0) w.Null(); else w.Double(r.join_server_cpu);
  w.Key("presence_frames");
  w.Uint64(r.presence_frames);
  w.Key("messages_sent");
  w.Uint64(r.messages_sent);
  w.Key("sent_acks");
  w.Uint64(r.sent_acks);
  w.Key("total_sent");
  w.Uint64(r.total_sent);
  w.Key("total_acks");
  w.Uint64(r.total_acks);
  w.Key("unacknowledged");
  w.Uint64(r.unacknowledged);
  w.Key("deliveries");
  w.Uint64(r.readers.deliveries);
  w.Key("throughput");
  w.Double(r.throughput);
  w.Key("gaps");
  w.Uint64(r.readers.gaps + r.slow.gaps);
  w.Key("duplicates");
  w.Uint64(r.readers.duplicates + r.slow.duplicates);
  write_latency(w, "ack_latency", r.ack_latency);
  write_latency(w, "delivery_latency", r.readers.delivery_latency);
  w.Key("errors");
  w.StartObject();
  for (const auto& [code, count] : r.errors) {
    w.Key(code.c_str());
    w.Uint64(count);
  }
  w.EndObject();
  write_group(w, "readers", r.readers);
  write_group(w, "slow_consumers", r.slow);
  w.Key("ok");
  w.Bool(r.aborted.empty() && !integrity_failed(r));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace outloud::bench
