// The hub over the real embedded backends, with fake connections: the domain without sockets.
// FaultyStore and BusTap wrap the real backends to make a chosen call fail or an event go missing.
#pragma once

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "outloud/protocol/client_frames.hpp"
#include "server/core/hub.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/memory_presence.hpp"
#include "server/embedded/sqlite_store.hpp"

namespace {

using namespace std::chrono_literals;
namespace p = outloud::protocol;
namespace core = outloud::core;

class FakeConnection : public core::Connection {
 public:
  explicit FakeConnection(std::uint64_t id) : id_(id) {}
  void send(core::Frame frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(*frame);
    changed_.notify_all();
  }
  // As a socket does: the frames of one call leave together (rounds: one call per round).
  void send_many(const core::Frame* frames, std::size_t count, core::MessageOrigin origin = {}) override {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) frames_.push_back(*frames[i]);
    batches_.push_back(count);
    origins_.push_back(origin);
    changed_.notify_all();
  }
  void close(std::uint16_t code, std::string) override {
    std::lock_guard lock(mutex_);
    close_code_ = code;
  }
  // What the send_many calls so far said of the messages they carried.
  std::vector<core::MessageOrigin> origins() {
    std::lock_guard lock(mutex_);
    return origins_;
  }
  // The sizes of the send_many calls so far.
  std::vector<std::size_t> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::uint64_t id() const override { return id_; }

  // Waits for the first unread frame that matches, consuming everything before it.
  rapidjson::Document next(const std::function<bool(const rapidjson::Document&)>& match,
                           std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      while (read_ < frames_.size()) {
        rapidjson::Document doc;
        doc.Parse(frames_[read_++].c_str());
        if (match(doc)) return doc;
      }
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && read_ >= frames_.size()) {
        FAIL("no matching frame within the timeout; " << frames_.size() << " frames, the last: "
                                                       << (frames_.empty() ? "" : frames_.back().substr(0, 200) + " ... " +
                                                               frames_.back().substr(frames_.back().size() > 600 ? frames_.back().size() - 600 : 0)));
      }
    }
  }
  rapidjson::Document next_type(const std::string& type) {
    return next([&](const rapidjson::Document& doc) { return doc.IsObject() && doc["type"].GetString() == type; });
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex_);
    return frames_;
  }

 private:
  std::uint64_t id_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> frames_;
  std::vector<std::size_t> batches_;
  std::vector<core::MessageOrigin> origins_;
  std::size_t read_ = 0;
  std::uint16_t close_code_ = 0;
};

// The real SQLite store, with chosen calls failing on demand (a store that is down for a while).
class FaultyStore final : public outloud::backend::Store {
 public:
  explicit FaultyStore(outloud::backend::Store& real) : real_(real) {}
  template <class T>
  using Callback = outloud::backend::Callback<T>;
  using Room = p::Room;

  std::atomic<int> fail_get_room{0};  // this many get_room calls fail next
  std::atomic<int> fail_after{0};     // this many after calls fail next

  void create_room(Room room, Callback<Room> done) override { real_.create_room(std::move(room), std::move(done)); }
  void get_room(std::string room, Callback<std::optional<Room>> done) override {
    if (take(fail_get_room)) return done(outloud::backend::unavailable("the store is down (test)"));
    real_.get_room(std::move(room), std::move(done));
  }
  void list_rooms(Callback<std::vector<Room>> done) override { real_.list_rooms(std::move(done)); }
  void update_room(Room room, Callback<Room> done) override { real_.update_room(std::move(room), std::move(done)); }
  void delete_messages_before(std::string room, std::int64_t ts, int limit, Callback<std::int64_t> done) override {
    real_.delete_messages_before(std::move(room), ts, limit, std::move(done));
  }
  void count_rooms(Callback<std::int64_t> done) override { real_.count_rooms(std::move(done)); }
  void list_rooms_page(std::string after, int limit, Callback<std::vector<Room>> done) override {
    real_.list_rooms_page(std::move(after), limit, std::move(done));
  }
  void append(outloud::backend::AppendRequest request, Callback<outloud::backend::AppendResult> done) override {
    real_.append(std::move(request), std::move(done));
  }
  void latest(std::string room, int limit, Callback<outloud::backend::Page> done,
              outloud::backend::ReadLane lane = outloud::backend::ReadLane::interactive) override {
    real_.latest(std::move(room), limit, std::move(done), lane);
  }
  void after(std::string room, std::int64_t after_seq, int limit, Callback<outloud::backend::Page> done,
             outloud::backend::ReadLane lane = outloud::backend::ReadLane::interactive) override {
    if (take(fail_after)) return done(outloud::backend::unavailable("the store is down (test)"));
    real_.after(std::move(room), after_seq, limit, std::move(done), lane);
  }
  void before(std::string room, std::int64_t before_seq, int limit, Callback<outloud::backend::Page> done,
              outloud::backend::ReadLane lane = outloud::backend::ReadLane::interactive) override {
    real_.before(std::move(room), before_seq, limit, std::move(done), lane);
  }
  void load_state(std::string room, Callback<outloud::backend::RoomState> done) override {
    real_.load_state(std::move(room), std::move(done));
  }
  void save_state(std::string room, std::int64_t expected_version, std::string json, Callback<bool> done) override {
    real_.save_state(std::move(room), expected_version, std::move(json), std::move(done));
  }
  void change_message(outloud::backend::ChangeRequest request, Callback<outloud::backend::ChangeResult> done) override {
    real_.change_message(std::move(request), std::move(done));
  }
  void changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                     Callback<outloud::backend::ChangePage> done) override {
    real_.changes_since(std::move(room), since, limit, std::move(done));
  }
  void search(outloud::backend::SearchRequest request, Callback<outloud::backend::SearchPage> done) override {
    real_.search(std::move(request), std::move(done));
  }
  void topic_page(std::string room, std::string topic, std::optional<std::int64_t> before,
                  std::optional<std::int64_t> after, int limit, Callback<outloud::backend::Page> done) override {
    real_.topic_page(std::move(room), std::move(topic), before, after, limit, std::move(done));
  }
  void list_topics(std::string room, std::string user, std::int64_t before, int limit,
                   Callback<std::vector<p::TopicSummary>> done) override {
    real_.list_topics(std::move(room), std::move(user), before, limit, std::move(done));
  }
  void mark_read(std::string user, std::string room, std::string topic, std::int64_t seq,
                 Callback<std::int64_t> done) override {
    real_.mark_read(std::move(user), std::move(room), std::move(topic), seq, std::move(done));
  }
  void read_progress(std::string user, std::vector<std::string> rooms,
                     Callback<std::vector<outloud::backend::RoomProgress>> done) override {
    real_.read_progress(std::move(user), std::move(rooms), std::move(done));
  }
  void note_mentions(std::string room, std::int64_t seq, std::vector<std::string> users,
                     Callback<outloud::backend::Unit> done) override {
    real_.note_mentions(std::move(room), seq, std::move(users), std::move(done));
  }
  std::int64_t messages_stored() const override { return real_.messages_stored(); }

 private:
  static bool take(std::atomic<int>& count) {
    int left = count.load();
    while (left > 0 && !count.compare_exchange_weak(left, left - 1)) {
    }
    return left > 0;
  }
  outloud::backend::Store& real_;
};

// Stands between the bus and the hub: drops the next message events it is told to (pub/sub that
// lost them), passes everything else on.
class BusTap final : public outloud::backend::BusHandler {
 public:
  std::atomic<int> drop_messages{0};
  outloud::backend::BusHandler* hub = nullptr;
  void on_bus_event(outloud::backend::BusEvent event) override {
    if (event.kind == outloud::backend::BusEvent::Kind::message) {
      int left = drop_messages.load();
      while (left > 0 && !drop_messages.compare_exchange_weak(left, left - 1)) {
      }
      if (left > 0) return;
    }
    hub->on_bus_event(std::move(event));
  }
  void on_bus_reconnected() override { hub->on_bus_reconnected(); }
};

class HubFixture {
 public:
  explicit HubFixture(core::HubOptions options = {}, int threads = 1,
                      core::Authenticator authenticate = core::open_authenticator())
      : path_(std::filesystem::temp_directory_path() /
              ("outloud-hub-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-" +
               std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".db")),
        store_(path_.string(), bus_),
        faulty_(store_),
        work_(boost::asio::make_work_guard(io_)) {
    hub_ = core::Hub::create(io_.get_executor(), core::Backends{faulty_, bus_, presence_}, std::move(options),
                             std::move(authenticate), metrics_);
    tap_.hub = hub_.get();
    bus_.set_handler(&tap_);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~HubFixture() {
    work_.reset();
    store_.close();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  std::shared_ptr<FakeConnection> open_anonymous() {
    auto connection = std::make_shared<FakeConnection>(next_id_++);
    hub_->open(connection);
    return connection;
  }
  std::shared_ptr<FakeConnection> connect(const std::string& name, const std::string& org) {
    auto connection = open_anonymous();
    send(*connection, R"({"type":"hello","id":1,"name":")" + name + R"(","org":")" + org + R"("})");
    auto welcome = connection->next_type("welcome");
    REQUIRE(welcome["user"]["org"].GetString() == org);
    return connection;
  }
  void send(FakeConnection& connection, const std::string& text) {
    auto parsed = p::parse_client_frame(text);
    REQUIRE(std::holds_alternative<p::ClientFrame>(parsed));
    hub_->handle(connection.id(), std::get<p::ClientFrame>(std::move(parsed)));
  }
  void close(FakeConnection& connection) { hub_->closed(connection.id()); }
  core::Metrics& metrics() { return metrics_; }
  core::Hub& hub() { return *hub_; }
  FaultyStore& store() { return faulty_; }
  outloud::embedded::SqliteStore& real_store() { return store_; }
  BusTap& bus_tap() { return tap_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
  outloud::embedded::EmbeddedBus bus_;
  outloud::embedded::MemoryPresence presence_;
  outloud::embedded::SqliteStore store_;
  FaultyStore faulty_;
  BusTap tap_;
  core::Metrics metrics_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<core::Hub> hub_;
  std::vector<std::thread> threads_;
  std::uint64_t next_id_ = 1;
};

auto reply_to(int id) {
  return [id](const rapidjson::Document& doc) {
    return doc.IsObject() && doc.HasMember("re") && doc["re"].IsInt() && doc["re"].GetInt() == id;
  };
}

auto message_event() {
  return [](const rapidjson::Document& doc) { return std::string(doc["type"].GetString()) == "message"; };
}

}  // namespace
