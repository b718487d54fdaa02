// The load generator: N WebSocket connections spread round-robin over R rooms, S of them sending at
// a fixed rate, every reader checking per-room order (no gaps, no duplicates) and delivery latency.
// Optional slow consumers join and never read, to show that the others do not slow down.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "latency_histogram.hpp"
#include "ws_url.hpp"

namespace outloud::bench {

struct BenchOptions {
  client::WsUrl url;
  std::string url_text;
  int connections = 100;
  int rooms = 10;
  int senders = -1;          // -1: every (fast) connection sends
  double rate = 1.0;         // messages per second per sender
  double duration = 10.0;    // seconds of measured sending
  double warmup = 1.0;       // seconds of sending before measuring
  int message_bytes = 100;   // text length of each message
  int slow = 0;              // extra connections that join and never read
  int threads = 1;
  std::string room_prefix = "bench";
  double drain_seconds = 5.0;  // after sending stops, longest wait for the last deliveries
  double join_seconds = 30.0;  // longest wait for every connection to join (a busy machine needs more)
  // Join storm: every connection joins at once; the join is timed (and the server's CPU measured
  // when its pid is given). With presence_limit, joins ask for paged, coalesced presence.
  int presence_limit = 0;  // 0: the spec's join (whole presence list, an event per change)
  bool message_batches = false;  // join with message_batches: a busy room's round in one frame
  bool join_only = false;  // stop after the join storm: no sending
  int server_pid = 0;      // read /proc/<pid>/stat for the server's CPU time during the storm
};

// Figures of one group of connections (the readers, or the slow consumers).
struct GroupReport {
  int connections = 0;
  int connected = 0;
  int joined = 0;
  std::uint64_t deliveries = 0;          // message events received
  std::uint64_t measured_deliveries = 0; // of messages sent after the warmup
  std::uint64_t gaps = 0;                // missing seqs
  std::uint64_t duplicates = 0;          // seqs seen again (or out of order)
  std::uint64_t undelivered = 0;         // acknowledged messages a live reader never got
  int closed_by_server = 0;
  std::map<std::string, int> close_reasons;
  LatencyHistogram delivery_latency;
};

struct BenchReport {
  int connections = 0;
  int rooms = 0;
  int senders = 0;
  double rate = 0;
  double duration = 0;
  int message_bytes = 0;
  std::uint64_t messages_sent = 0;     // in the measured window
  std::uint64_t sent_acks = 0;         // in the measured window
  std::uint64_t total_sent = 0;
  std::uint64_t total_acks = 0;
  std::uint64_t unacknowledged = 0;    // sends with neither `sent` nor error at the end
  double throughput = 0;               // measured deliveries per second (readers)
  LatencyHistogram ack_latency;        // send -> sent
  std::map<std::string, std::uint64_t> errors;  // error frames by code
  int connection_failures = 0;         // could not connect, handshake or hello
  std::string aborted;                 // why the run stopped early, if it did
  double join_seconds = 0;             // first join sent -> last `joined` received
  double join_server_cpu = -1;         // server CPU-s from the first join until it went idle (-1: unknown)
  std::uint64_t presence_frames = 0;   // `presence` and `presence_batch` frames received by everyone
  GroupReport readers;
  GroupReport slow;
};

class Bench {
 public:
  Bench(BenchOptions options, boost::asio::ip::tcp::endpoint endpoint);
  ~Bench();
  BenchReport run();

  struct Connection;

 private:
  friend struct Connection;
  using Clock = std::chrono::steady_clock;

  bool connect_all(BenchReport& report);
  bool create_rooms(BenchReport& report);
  bool join_all(BenchReport& report);
  void send_phase();
  void drain(BenchReport& report);
  void resume_slow();
  void close_all();
  void collect(BenchReport& report);
  std::string room_name(int index) const;
  std::int64_t now_ns() const;

  // shared by the connections (any strand)
  void count_error(const std::string& code);
  void record_ack(std::int64_t room, std::int64_t seq, std::int64_t sent_ns, std::int64_t now);
  void record_delivery(bool slow, std::int64_t sent_ns, std::int64_t now);

  BenchOptions options_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::io_context io_;
  std::vector<std::shared_ptr<Connection>> connections_;
  Clock::time_point epoch_;
  std::atomic<std::int64_t> measure_from_ns_{INT64_MAX};  // sends from then on are measured
  std::atomic<std::int64_t> measure_until_ns_{INT64_MAX};
  std::atomic<bool> sending_{false};
  std::atomic<bool> closing_{false};
  int sending_senders_ = 0;
  std::vector<std::atomic<std::int64_t>> room_acked_head_;  // highest acknowledged seq per room

  std::mutex stats_mutex_;
  LatencyHistogram ack_latency_;
  LatencyHistogram delivery_latency_[2];  // readers, slow
  std::uint64_t measured_deliveries_[2] = {0, 0};
  std::map<std::string, std::uint64_t> errors_;
  std::atomic<std::uint64_t> measured_sent_{0};
  std::atomic<std::uint64_t> measured_acks_{0};
};

}  // namespace outloud::bench
