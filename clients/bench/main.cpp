// outloud-bench — load generator for an OutLoud server (loopback only unless --allow-remote).
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "bench.hpp"
#include "report.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace outloud;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;  // gaps, duplicates, lost messages
constexpr int kExitUsage = 2;   // bad flags, cannot connect

constexpr int kMaxConnections = 20000;
constexpr double kMaxDuration = 300;

// Enough descriptors for every connection (the soft limit is often 1024).
void raise_descriptor_limit(int needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t want = static_cast<rlim_t>(needed) + 64;
  if (limit.rlim_cur >= want) return;
  limit.rlim_cur = std::min(want, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main(int argc, char** argv) {
  bench::BenchOptions o;
  bool json = false;
  bool allow_remote = false;
  po::options_description description(
      "Usage: outloud-bench --url ws://127.0.0.1:PORT/ws [options]\n"
      "Opens N connections, joins them round-robin into R rooms, sends from S of them at a fixed rate,\n"
      "and reports acknowledgement and delivery latency, throughput, errors, and per-room order\n"
      "(gaps and duplicates must be 0). Exit codes: 0 ok, 1 order or delivery broken, 2 usage or\n"
      "connection error.\n\nOptions");
  description.add_options()
      ("help,h", "show this help")
      ("url", po::value(&o.url_text)->default_value("ws://127.0.0.1:8080/ws"), "server WebSocket URL")
      ("connections,n", po::value(&o.connections)->default_value(100), "connections that read (and may send)")
      ("rooms,r", po::value(&o.rooms)->default_value(10), "rooms, joined round-robin")
      ("senders,s", po::value(&o.senders)->default_value(-1), "how many connections send (-1: all)")
      ("rate", po::value(&o.rate)->default_value(1.0), "messages per second per sender")
      ("duration,d", po::value(&o.duration)->default_value(10.0), "measured seconds of sending (max 300)")
      ("warmup", po::value(&o.warmup)->default_value(1.0), "seconds of sending before measuring")
      ("message-bytes", po::value(&o.message_bytes)->default_value(100), "text length of each message (40..16000)")
      ("slow", po::value(&o.slow)->default_value(0), "extra connections that join and never read")
      ("threads", po::value(&o.threads)->default_value(1), "I/O threads (1..4)")
      ("room-prefix", po::value(&o.room_prefix)->default_value("bench"), "rooms are named PREFIX-0 .. PREFIX-(R-1)")
      ("drain", po::value(&o.drain_seconds)->default_value(5.0), "longest wait for the last deliveries (s)")
      ("join-timeout", po::value(&o.join_seconds)->default_value(30.0), "longest wait for every connection to join (s, max 300)")
      ("presence-limit", po::value(&o.presence_limit)->default_value(0),
       "join with this presence_limit (paged, coalesced presence; 0: the spec's join)")
      ("message-batches", po::bool_switch(&o.message_batches),
       "join with message_batches (a busy large room's round of messages as one message_batch frame)")
      ("join-only", po::bool_switch(&o.join_only), "join storm only: time the joins, send nothing")
      ("server-pid", po::value(&o.server_pid)->default_value(0), "measure this server process's CPU during the joins")
      ("json", po::bool_switch(&json), "print one JSON object instead of text")
      ("allow-remote", po::bool_switch(&allow_remote), "allow a non-loopback server address");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
    po::notify(values);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "outloud-bench: %s (see --help)\n", error.what());
    return kExitUsage;
  }
  if (values.count("help")) {
    std::cout << description << '\n';
    return kExitOk;
  }
  const auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "outloud-bench: %s\n", message.c_str());
    return kExitUsage;
  };
  std::string error;
  const auto url = client::parse_ws_url(o.url_text, error);
  if (!url) return usage_error(error);
  o.url = *url;
  if (o.connections < 1 || o.connections > kMaxConnections) return usage_error("--connections must be 1..20000");
  if (o.slow < 0 || o.connections + o.slow > kMaxConnections) return usage_error("--slow must be 0.. and in total at most 20000");
  if (o.rooms < 1 || o.rooms > o.connections) return usage_error("--rooms must be 1..connections");
  if (o.senders < -1 || o.senders > o.connections) return usage_error("--senders must be -1..connections");
  if (!(o.rate > 0 && o.rate <= 1000)) return usage_error("--rate must be in (0, 1000] messages/s");
  if (!(o.duration > 0 && o.duration <= kMaxDuration)) return usage_error("--duration must be in (0, 300] s");
  if (!(o.warmup >= 0 && o.warmup <= 60)) return usage_error("--warmup must be 0..60 s");
  if (!(o.drain_seconds >= 0 && o.drain_seconds <= 60)) return usage_error("--drain must be 0..60 s");
  if (!(o.join_seconds > 0 && o.join_seconds <= 300)) return usage_error("--join-timeout must be 0..300 s");
  if (o.message_bytes < 40 || o.message_bytes > 16000) return usage_error("--message-bytes must be 40..16000");
  if (o.presence_limit < 0 || o.presence_limit > 200) return usage_error("--presence-limit must be 0..200");
  if (o.threads < 1 || o.threads > 4) return usage_error("--threads must be 1..4");
  if (o.room_prefix.empty() || o.room_prefix.size() > 50) return usage_error("--room-prefix must be 1..50 characters");

  // Resolve once, here, before any I/O thread runs; the bench connects to this one address only.
  asio::io_context resolver_io;
  asio::ip::tcp::resolver resolver(resolver_io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(o.url.host, o.url.port, ec);
  if (ec || results.empty()) return usage_error("cannot resolve " + o.url.host + ": " + ec.message());
  asio::ip::tcp::endpoint endpoint;
  bool found = false;
  for (const auto& entry : results) {
    const auto address = entry.endpoint().address();
    if (address.is_loopback() || allow_remote) {
      endpoint = entry.endpoint();
      found = true;
      break;
    }
  }
  if (!found)
    return usage_error(o.url.host + " is not a loopback address; load is only generated against 127.0.0.1/::1 "
                       "unless --allow-remote is given");

  raise_descriptor_limit(o.connections + o.slow);
  bench::Bench run(o, endpoint);
  const bench::BenchReport report = run.run();
  const std::string out = json ? bench::report_json(o, report) + "\n" : bench::report_text(o, report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!report.aborted.empty()) {
    std::fprintf(stderr, "outloud-bench: %s\n", report.aborted.c_str());
    return kExitUsage;
  }
  return bench::integrity_failed(report) ? kExitBroken : kExitOk;
}
