#include "bench.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <charconv>
#include <fstream>
#include <sstream>
#include <random>
#include <thread>
#include <unordered_map>

#include "outloud/protocol/client_serialize.hpp"
#include "outloud/protocol/server_frame_reader.hpp"
#include "ws_session.hpp"

namespace outloud::bench {
namespace asio = boost::asio;
using client::WsSession;
using protocol::client_frame_json;
using protocol::ServerFrameKind;

namespace {

constexpr const char* kOrgs[] = {"essex-cc", "nhs-north", "police-east", "uni-leeds", "shelter-uk"};
constexpr int kConnectsInFlight = 100;

// The integer `re` of a reply (the bench's ids are integers); -1 when there is none.
std::int64_t reply_id(const protocol::ServerFrameReader& frame) {
  const auto* id = frame.re() ? std::get_if<std::int64_t>(&*frame.re()) : nullptr;
  return id ? *id : -1;
}

// The send time embedded in a bench message: "bench <conn> <n> <ns> xxx…". -1 when absent.
std::int64_t embedded_send_ns(std::string_view text) {
  if (!text.starts_with("bench ")) return -1;
  int field = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      if (field == 3) {
        std::int64_t value = -1;
        std::from_chars(text.data() + start, text.data() + i, value);
        return value;
      }
      ++field;
      start = i + 1;
    }
  }
  return -1;
}

template <class Predicate>
bool wait_until(Predicate done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

// One simulated user. Everything but the atomics is touched only on its strand.
struct Bench::Connection : std::enable_shared_from_this<Connection> {
  enum class State { connecting, welcomed, failed };

  Connection(Bench& bench, int index, bool slow, int room_index)
      : bench(bench),
        index(index),
        slow(slow),
        room_index(room_index),
        room(bench.room_name(room_index)),
        strand(asio::make_strand(bench.io_)),
        send_timer(strand) {}

  Bench& bench;
  const int index;
  const bool slow;
  const int room_index;
  const std::string room;
  asio::strand<asio::io_context::executor_type> strand;
  asio::steady_timer send_timer;
  std::shared_ptr<WsSession> session;

  std::int64_t next_id = 1;
  std::int64_t hello_id = 0;
  std::int64_t join_id = 0;
  std::unordered_map<std::int64_t, std::int64_t> send_times;  // request id -> send time (ns)
  std::unordered_map<std::int64_t, bool> create_ids;
  std::uint64_t message_counter = 0;
  Clock::time_point next_send;
  std::chrono::nanoseconds period{0};
  std::string close_reason;
  bool closed_by_server = false;
  std::int64_t expected_seq = 0;

  std::atomic<State> state{State::connecting};
  std::atomic<bool> joined{false};
  std::atomic<bool> join_failed{false};
  std::atomic<bool> closed{false};
  std::atomic<int> pending_creates{0};
  std::atomic<std::int64_t> last_seq{0};
  std::atomic<std::uint64_t> deliveries{0}, gaps{0}, duplicates{0}, sends{0}, acks{0}, failed_sends{0};
  std::atomic<std::uint64_t> presence_frames{0};
  protocol::Send outgoing;  // to `room`; only the text changes from one send to the next

  void start() {
    WsSession::Options options;
    if (slow) options.receive_buffer_bytes = 4096;  // so that its backlog reaches the server quickly
    WsSession::Handlers handlers;
    auto self = shared_from_this();
    handlers.on_open = [self] { self->on_open(); };
    handlers.on_text = [self](std::string_view text) { self->on_text(text); };
    handlers.on_closed = [self](const std::string& why, bool was_open) { self->on_closed(why, was_open); };
    session = std::make_shared<WsSession>(strand, options, std::move(handlers));
    session->connect(bench.endpoint_, bench.options_.url.host_header(), bench.options_.url.target);
  }

  void on_open() {
    hello_id = next_id++;
    protocol::Hello hello;
    hello.name = "bench " + std::to_string(::getpid()) + " #" + std::to_string(index);
    hello.org = kOrgs[index % std::size(kOrgs)];
    session->send(client_frame_json(hello_id, hello));
  }

  void create_rooms(int count) {
    pending_creates = count;
    for (int k = 0; k < count; ++k) {
      const std::int64_t id = next_id++;
      create_ids[id] = true;
      session->send(client_frame_json(id, protocol::Create{bench.room_name(k), "Bench room " + std::to_string(k)}));
    }
  }

  void join() {
    join_id = next_id++;
    protocol::Join frame;
    frame.room = room;
    frame.limit = 1;
    if (bench.options_.presence_limit > 0) frame.presence_limit = bench.options_.presence_limit;
    frame.message_batches = bench.options_.message_batches;
    session->send(client_frame_json(join_id, frame));
  }

  void start_sending(Clock::time_point first, std::chrono::nanoseconds every) {
    period = every;
    next_send = first;
    send_timer.expires_at(next_send);
    send_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_send_tick(ec); });
  }

  void on_send_tick(boost::system::error_code ec) {
    if (ec || !bench.sending_ || closed) return;
    send_one();
    next_send += period;
    const auto now = Clock::now();
    if (next_send < now - std::chrono::seconds(1)) next_send = now;  // far behind: don't burst
    send_timer.expires_at(next_send);
    send_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_send_tick(ec); });
  }

  void send_one() {
    const std::int64_t id = next_id++;
    const std::int64_t now = bench.now_ns();
    std::string text = "bench " + std::to_string(index) + " " + std::to_string(message_counter++) + " " +
                       std::to_string(now) + " ";
    if (text.size() < static_cast<std::size_t>(bench.options_.message_bytes))
      text.append(static_cast<std::size_t>(bench.options_.message_bytes) - text.size(), 'x');
    send_times[id] = now;
    ++sends;
    if (now >= bench.measure_from_ns_ && now < bench.measure_until_ns_) ++bench.measured_sent_;
    outgoing.room = room;
    outgoing.text = std::move(text);
    session->send(client_frame_json(id, outgoing));
  }

  void on_message(const protocol::Message& message, std::int64_t now) {
    if (message.room != room) return;
    ++deliveries;
    if (message.seq == expected_seq) {
      ++expected_seq;
    } else if (message.seq < expected_seq) {
      ++duplicates;
    } else {
      gaps += static_cast<std::uint64_t>(message.seq - expected_seq);
      expected_seq = message.seq + 1;
    }
    last_seq = expected_seq - 1;
    bench.record_delivery(slow, embedded_send_ns(message.text), now);
  }

  void on_text(std::string_view text) {
    const std::int64_t now = bench.now_ns();
    // One reader per I/O thread: it keeps its buffers, so reading a delivery allocates nothing.
    thread_local protocol::ServerFrameReader frame;
    if (!frame.read(text)) {
      bench.count_error("client:invalid_frame");
      return;
    }
    const std::int64_t re = reply_id(frame);
    switch (frame.kind()) {
      case ServerFrameKind::message:
        return on_message(frame.message(), now);
      case ServerFrameKind::message_batch:  // joined with --message-batches: each as if alone
        if (frame.message_batch().room != room) return;
        for (const auto& message : frame.message_batch().messages) on_message(message, now);
        return;
      case ServerFrameKind::presence:
      case ServerFrameKind::presence_batch:
        ++presence_frames;
        return;
      case ServerFrameKind::sent:
        if (auto it = send_times.find(re); it != send_times.end()) {
          ++acks;
          bench.record_ack(room_index, frame.sent().seq, it->second, now);
          send_times.erase(it);
        }
        return;
      case ServerFrameKind::welcome:
        if (re == hello_id) state = State::welcomed;
        return;
      case ServerFrameKind::joined:
        if (re != join_id) return;
        expected_seq = frame.joined().head + 1;
        last_seq = frame.joined().head;
        joined = true;
        if (slow) session->pause_reading();  // never read again (until the end of the run)
        return;
      case ServerFrameKind::created:
        if (create_ids.erase(re)) --pending_creates;
        return;
      case ServerFrameKind::error: {
        const std::string code(protocol::to_string(frame.error_frame().code));
        if (create_ids.erase(re)) {
          --pending_creates;
          if (code == "conflict") return;  // the room exists already: fine
        }
        bench.count_error(code);
        if (re == hello_id) state = State::failed;
        if (re == join_id) join_failed = true;
        if (send_times.erase(re)) ++failed_sends;
        return;
      }
      default:
        return;
    }
  }

  void on_closed(const std::string& why, bool was_open) {
    {
      std::lock_guard lock(bench.stats_mutex_);  // read by the main thread
      close_reason = why;
    }
    send_timer.cancel();
    if (!was_open || state == State::connecting) {
      state = State::failed;
    } else {
      closed_by_server = !bench.closing_;
    }
    closed = true;  // last: the main thread reads the fields above once it sees this
  }

};

Bench::Bench(BenchOptions options, asio::ip::tcp::endpoint endpoint)
    : options_(std::move(options)),
      endpoint_(endpoint),
      io_(options_.threads),
      room_acked_head_(static_cast<std::size_t>(options_.rooms)) {
  epoch_ = Clock::now();
}

Bench::~Bench() = default;

std::string Bench::room_name(int index) const { return options_.room_prefix + "-" + std::to_string(index); }

std::int64_t Bench::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - epoch_).count();
}

void Bench::count_error(const std::string& code) {
  std::lock_guard lock(stats_mutex_);
  ++errors_[code];
}

void Bench::record_ack(std::int64_t room, std::int64_t seq, std::int64_t sent_ns, std::int64_t now) {
  auto& head = room_acked_head_[static_cast<std::size_t>(room)];
  for (std::int64_t current = head.load(); seq > current && !head.compare_exchange_weak(current, seq);) {
  }
  if (sent_ns < measure_from_ns_ || sent_ns >= measure_until_ns_) return;
  ++measured_acks_;
  std::lock_guard lock(stats_mutex_);
  ack_latency_.record((now - sent_ns) / 1000);
}

void Bench::record_delivery(bool slow, std::int64_t sent_ns, std::int64_t now) {
  if (sent_ns < 0 || sent_ns < measure_from_ns_ || sent_ns >= measure_until_ns_) return;
  std::lock_guard lock(stats_mutex_);
  ++measured_deliveries_[slow ? 1 : 0];
  delivery_latency_[slow ? 1 : 0].record((now - sent_ns) / 1000);
}

BenchReport Bench::run() {
  BenchReport report;
  report.connections = options_.connections;
  report.rooms = options_.rooms;
  report.rate = options_.rate;
  report.duration = options_.duration;
  report.message_bytes = options_.message_bytes;
  report.readers.connections = options_.connections;
  report.slow.connections = options_.slow;

  auto work = asio::make_work_guard(io_);
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.threads; ++i) threads.emplace_back([this] { io_.run(); });

  if (connect_all(report) && create_rooms(report) && join_all(report) && !options_.join_only) {
    send_phase();
    drain(report);
    resume_slow();
  }
  close_all();
  work.reset();
  io_.stop();
  for (auto& thread : threads) thread.join();
  collect(report);
  // Each session's handlers own its Connection, and the Connection owns the session: break the cycle.
  for (const auto& c : connections_) c->session.reset();
  return report;
}

bool Bench::connect_all(BenchReport& report) {
  const int total = options_.connections + options_.slow;
  const auto count_settled = [&] {
    int n = 0;
    for (const auto& c : connections_) n += c->state != Connection::State::connecting;
    return n;
  };
  for (int i = 0; i < total; ++i) {
    // A bounded number of handshakes in flight, so the listen backlog never overflows.
    wait_until([&] { return static_cast<int>(connections_.size()) - count_settled() < kConnectsInFlight; }, 30);
    const bool slow = i >= options_.connections;
    auto connection = std::make_shared<Connection>(*this, i, slow, i % options_.rooms);
    connections_.push_back(connection);
    connection->start();
  }
  wait_until([&] { return count_settled() == total; }, 30);
  for (const auto& c : connections_) {
    if (c->state == Connection::State::welcomed) {
      ++(c->slow ? report.slow.connected : report.readers.connected);
    } else {
      ++report.connection_failures;
    }
  }
  if (report.readers.connected == 0) {
    std::string why = "no connection could be established";
    if (!connections_.empty()) why += ": " + [&] {
      std::lock_guard lock(stats_mutex_);
      return connections_.front()->close_reason;
    }();
    report.aborted = why;
    return false;
  }
  return true;
}

bool Bench::create_rooms(BenchReport& report) {
  std::shared_ptr<Connection> owner;
  for (const auto& c : connections_)
    if (!c->slow && c->state == Connection::State::welcomed) {
      owner = c;
      break;
    }
  owner->pending_creates = options_.rooms;
  asio::post(owner->strand, [owner, rooms = options_.rooms] { owner->create_rooms(rooms); });
  if (!wait_until([&] { return owner->pending_creates <= 0; }, 15)) {
    report.aborted = "the rooms could not be created in time";
    return false;
  }
  std::lock_guard lock(stats_mutex_);
  if (!errors_.empty()) {
    report.aborted = "creating the rooms failed (" + errors_.begin()->first + ")";
    return false;
  }
  return true;
}

namespace {

// The process's user + system CPU time in seconds, or -1 if it cannot be read.
double process_cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

bool Bench::join_all(BenchReport& report) {
  const double cpu_before = process_cpu_seconds(options_.server_pid);
  const auto started = Clock::now();
  std::vector<std::shared_ptr<Connection>> joining;
  for (const auto& c : connections_) {
    if (c->state != Connection::State::welcomed) continue;
    joining.push_back(c);
    asio::post(c->strand, [c] { c->join(); });
  }
  wait_until(
      [&] {
        for (const auto& c : joining)
          if (!c->joined && !c->join_failed && !c->closed) return false;
        return true;
      },
      options_.join_seconds);
  report.join_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (cpu_before >= 0) {
    // The storm's cost includes the presence it sets off: wait until the server is idle (no CPU
    // for 300 ms, at most 10 s), then count.
    double last = process_cpu_seconds(options_.server_pid);
    int idle_ticks = 0;
    for (int i = 0; i < 100 && idle_ticks < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const double now = process_cpu_seconds(options_.server_pid);
      idle_ticks = now - last < 0.005 ? idle_ticks + 1 : 0;
      last = now;
    }
    report.join_server_cpu = last - cpu_before;
  }
  for (const auto& c : joining)
    if (c->joined) ++(c->slow ? report.slow.joined : report.readers.joined);
  if (report.readers.joined == 0) {
    report.aborted = "no connection could join its room";
    return false;
  }
  return true;
}

void Bench::send_phase() {
  std::vector<std::shared_ptr<Connection>> senders;
  for (const auto& c : connections_) {
    if (c->slow || !c->joined) continue;
    if (options_.senders >= 0 && static_cast<int>(senders.size()) >= options_.senders) break;
    senders.push_back(c);
  }
  const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options_.rate));
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.warmup));
  const auto measure_until =
      measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.duration));
  measure_from_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(measure_from - epoch_).count();
  measure_until_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(measure_until - epoch_).count();
  sending_ = true;
  std::mt19937_64 random{std::random_device{}()};
  for (const auto& c : senders) {
    // Spread the senders over one period so they do not all fire together.
    const auto offset = std::chrono::nanoseconds(static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(period.count())));
    asio::post(c->strand, [c, first = start + offset, period] { c->start_sending(first, period); });
  }
  sending_senders_ = static_cast<int>(senders.size());
  std::this_thread::sleep_until(measure_until);
  sending_ = false;
}

void Bench::drain(BenchReport& report) {
  // Wait for every acknowledgement and for every live reader to reach its room's acknowledged head.
  const auto caught_up = [&](const std::shared_ptr<Connection>& c) {
    return c->closed || c->last_seq >= room_acked_head_[static_cast<std::size_t>(c->room_index)];
  };
  wait_until(
      [&] {
        for (const auto& c : connections_) {
          if (c->slow || !c->joined) continue;
          if (!c->closed && c->sends != c->acks + c->failed_sends) return false;
          if (!caught_up(c)) return false;
        }
        return true;
      },
      options_.drain_seconds);
  for (const auto& c : connections_) {
    if (c->slow || !c->joined || c->closed) continue;
    const std::int64_t head = room_acked_head_[static_cast<std::size_t>(c->room_index)];
    if (head > c->last_seq) report.readers.undelivered += static_cast<std::uint64_t>(head - c->last_seq);
  }
}

void Bench::resume_slow() {
  std::vector<std::shared_ptr<Connection>> slow;
  for (const auto& c : connections_)
    if (c->slow && c->joined) slow.push_back(c);
  if (slow.empty()) return;
  for (const auto& c : slow) c->session->resume_reading();
  // Each one either catches up with its backlog or finds that the server closed it.
  wait_until(
      [&] {
        for (const auto& c : slow)
          if (!c->closed && c->last_seq < room_acked_head_[static_cast<std::size_t>(c->room_index)]) return false;
        return true;
      },
      options_.drain_seconds);
}

void Bench::close_all() {
  closing_ = true;
  for (const auto& c : connections_)
    if (c->session) c->session->close();
  wait_until(
      [&] {
        for (const auto& c : connections_)
          if (c->session && !c->closed) return false;
        return true;
      },
      3);
}

void Bench::collect(BenchReport& report) {
  report.senders = sending_senders_;
  report.messages_sent = measured_sent_;
  report.sent_acks = measured_acks_;
  report.ack_latency = ack_latency_;
  report.errors = errors_;
  for (const auto& c : connections_) {
    GroupReport& group = c->slow ? report.slow : report.readers;
    report.total_sent += c->sends;
    report.total_acks += c->acks;
    report.unacknowledged += c->sends - c->acks - c->failed_sends;
    report.presence_frames += c->presence_frames;
    group.deliveries += c->deliveries;
    group.gaps += c->gaps;
    group.duplicates += c->duplicates;
    if (c->closed_by_server) {
      ++group.closed_by_server;
      ++group.close_reasons[c->close_reason];
    }
  }
  report.readers.measured_deliveries = measured_deliveries_[0];
  report.slow.measured_deliveries = measured_deliveries_[1];
  report.readers.delivery_latency = delivery_latency_[0];
  report.slow.delivery_latency = delivery_latency_[1];
  report.throughput = options_.duration > 0 ? static_cast<double>(measured_deliveries_[0]) / options_.duration : 0;
}

}  // namespace outloud::bench
