// The hub over the real embedded backends, with fake connections: the domain without sockets.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

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
  void close(std::uint16_t code, std::string) override {
    std::lock_guard lock(mutex_);
    close_code_ = code;
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
  std::size_t read_ = 0;
  std::uint16_t close_code_ = 0;
};

class HubFixture {
 public:
  HubFixture()
      : path_(std::filesystem::temp_directory_path() /
              ("outloud-hub-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".db")),
        store_(path_.string(), bus_),
        work_(boost::asio::make_work_guard(io_)) {
    hub_ = core::Hub::create(io_.get_executor(), core::Backends{store_, bus_, presence_}, core::HubOptions{},
                             core::open_authenticator(), metrics_);
    bus_.set_handler(hub_.get());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HubFixture() {
    work_.reset();
    store_.close();
    io_.stop();
    thread_.join();
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

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
  outloud::embedded::EmbeddedBus bus_;
  outloud::embedded::MemoryPresence presence_;
  outloud::embedded::SqliteStore store_;
  core::Metrics metrics_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<core::Hub> hub_;
  std::thread thread_;
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

TEST_CASE("hub: frames before hello are unauthenticated; ping is allowed", "[hub]") {
  HubFixture hub;
  auto stranger = hub.open_anonymous();
  hub.send(*stranger, R"({"type":"rooms","id":1})");
  CHECK(std::string(stranger->next(reply_to(1))["code"].GetString()) == "unauthenticated");
  hub.send(*stranger, R"({"type":"ping","id":2})");
  CHECK(std::string(stranger->next(reply_to(2))["type"].GetString()) == "pong");
  hub.send(*stranger, R"({"type":"hello","id":3,"name":"Late","org":"resident"})");
  CHECK(std::string(stranger->next(reply_to(3))["type"].GetString()) == "welcome");
  hub.send(*stranger, R"({"type":"hello","id":4,"name":"Late","org":"resident"})");
  CHECK(std::string(stranger->next(reply_to(4))["code"].GetString()) == "conflict");
}

TEST_CASE("hub: create, join, send reach every member exactly once in order", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul Ashworth", "essex-cc");
  auto sam = hub.connect("Sam Okafor", "nhs-mse");
  hub.send(*paul, R"({"type":"create","id":2,"room":"housing","title":"Affordable housing"})");
  auto created = paul->next(reply_to(2));
  REQUIRE(std::string(created["type"].GetString()) == "created");
  hub.send(*paul, R"({"type":"create","id":3,"room":"housing"})");
  CHECK(std::string(paul->next(reply_to(3))["code"].GetString()) == "conflict");

  hub.send(*paul, R"({"type":"join","id":4,"room":"housing"})");
  auto joined = paul->next(reply_to(4));
  REQUIRE(std::string(joined["type"].GetString()) == "joined");
  CHECK(joined["head"].GetInt64() == 0);
  CHECK(std::string(joined["you"]["role"].GetString()) == "owner");

  hub.send(*sam, R"({"type":"join","id":5,"room":"housing"})");
  auto sam_joined = sam->next(reply_to(5));
  CHECK(sam_joined["presence"].Size() == 2);
  auto presence = paul->next_type("presence");
  CHECK(std::string(presence["event"].GetString()) == "join");
  CHECK(std::string(presence["user"]["org"].GetString()) == "nhs-mse");

  for (int i = 0; i < 50; ++i) {
    hub.send(i % 2 ? *sam : *paul,
             R"({"type":"send","id":)" + std::to_string(100 + i) + R"(,"room":"housing","text":"m)" +
                 std::to_string(i) + R"("})");
  }
  for (auto* connection : {paul.get(), sam.get()}) {
    for (int seq = 1; seq <= 50; ++seq) {
      auto message = connection->next(message_event());
      REQUIRE(message["seq"].GetInt64() == seq);
    }
  }
  CHECK(hub.metrics().deliveries.load() == 100);
}

TEST_CASE("hub: send needs the room joined; nonce repeats store nothing new", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul", "essex-cc");
  hub.send(*paul, R"({"type":"create","id":2,"room":"r1"})");
  paul->next(reply_to(2));
  hub.send(*paul, R"({"type":"send","id":3,"room":"r1","text":"hi"})");
  CHECK(std::string(paul->next(reply_to(3))["code"].GetString()) == "forbidden");
  hub.send(*paul, R"({"type":"join","id":4,"room":"r1"})");
  paul->next(reply_to(4));
  hub.send(*paul, R"({"type":"send","id":5,"room":"r1","text":"hi","nonce":"n-1"})");
  auto first = paul->next(reply_to(5));
  hub.send(*paul, R"({"type":"send","id":6,"room":"r1","text":"hi again","nonce":"n-1"})");
  auto again = paul->next(reply_to(6));
  CHECK(first["seq"].GetInt64() == again["seq"].GetInt64());
  hub.send(*paul, R"({"type":"history","id":7,"room":"r1"})");
  CHECK(paul->next(reply_to(7))["messages"].Size() == 1);
}

TEST_CASE("hub: join with since while others send gets no gap and no duplicate", "[hub]") {
  HubFixture hub;
  auto writer = hub.connect("Writer", "essex-cc");
  hub.send(*writer, R"({"type":"create","id":2,"room":"busy"})");
  writer->next(reply_to(2));
  hub.send(*writer, R"({"type":"join","id":3,"room":"busy"})");
  writer->next(reply_to(3));
  for (int i = 0; i < 300; ++i) {
    hub.send(*writer, R"({"type":"send","room":"busy","text":"x)" + std::to_string(i) + R"("})");
  }
  auto reader = hub.connect("Reader", "uni-essex");
  hub.send(*reader, R"({"type":"join","id":9,"room":"busy","since":0})");
  for (int i = 300; i < 400; ++i) {
    hub.send(*writer, R"({"type":"send","room":"busy","text":"x)" + std::to_string(i) + R"("})");
  }
  auto joined = reader->next(reply_to(9));
  for (const auto& frame : writer->all()) {
    if (frame.find("\"error\"") != std::string::npos) FAIL_CHECK(frame);
  }
  std::int64_t expected = 1;
  const auto& messages = joined["messages"];
  if (joined["recovered"].GetBool()) {
    for (auto& message : messages.GetArray()) CHECK(message["seq"].GetInt64() == expected++);
  } else {
    expected = messages.Size() ? messages[messages.Size() - 1]["seq"].GetInt64() + 1 : 1;
  }
  CHECK(joined["head"].GetInt64() == expected - 1);
  while (expected <= 400) {
    auto live = reader->next(message_event());
    REQUIRE(live["seq"].GetInt64() == expected++);
  }
}

TEST_CASE("hub: one user with two connections counts once in presence", "[hub]") {
  HubFixture hub;
  auto watcher = hub.connect("Watcher", "essex-fire");
  hub.send(*watcher, R"({"type":"create","id":2,"room":"p"})");
  watcher->next(reply_to(2));
  hub.send(*watcher, R"({"type":"join","id":3,"room":"p"})");
  watcher->next(reply_to(3));
  auto laptop = hub.connect("Ann", "charity");
  auto phone = hub.connect("Ann", "charity");
  hub.send(*laptop, R"({"type":"join","id":4,"room":"p"})");
  laptop->next(reply_to(4));
  hub.send(*phone, R"({"type":"join","id":5,"room":"p"})");
  auto joined = phone->next(reply_to(5));
  CHECK(joined["presence"].Size() == 2);
  hub.close(*laptop);
  hub.send(*watcher, R"({"type":"ping","id":6})");
  watcher->next(reply_to(6));
  hub.close(*phone);
  auto leave = watcher->next([](const rapidjson::Document& doc) {
    return std::string(doc["type"].GetString()) == "presence" && std::string(doc["event"].GetString()) == "leave";
  });
  CHECK(std::string(leave["user"]["name"].GetString()) == "Ann");
  // Exactly one join and one leave for Ann.
  int joins = 0, leaves = 0;
  for (const auto& frame : watcher->all()) {
    if (frame.find("\"type\":\"presence\"") == std::string::npos) continue;
    if (frame.find("\"event\":\"join\"") != std::string::npos) ++joins;
    if (frame.find("\"event\":\"leave\"") != std::string::npos) ++leaves;
  }
  CHECK(joins == 1);
  CHECK(leaves == 1);
}

TEST_CASE("hub: a pipelined create, join, send and leave are carried out in order", "[hub]") {
  HubFixture hub;
  auto paul = hub.connect("Paul", "essex-cc");
  hub.send(*paul, R"({"type":"create","id":2,"room":"piped"})");
  hub.send(*paul, R"({"type":"join","id":3,"room":"piped"})");
  hub.send(*paul, R"({"type":"send","id":4,"room":"piped","text":"first"})");
  hub.send(*paul, R"({"type":"leave","id":5,"room":"piped"})");
  hub.send(*paul, R"({"type":"send","id":6,"room":"piped","text":"too late"})");
  CHECK(std::string(paul->next(reply_to(2))["type"].GetString()) == "created");
  CHECK(std::string(paul->next(reply_to(3))["type"].GetString()) == "joined");
  // `sent` and `left` may come in either order (the store answers later); the send after the
  // leave is refused.
  CHECK(std::string(paul->next(reply_to(6))["code"].GetString()) == "forbidden");
  bool sent = false, left = false;
  for (const auto& frame : paul->all()) {
    sent = sent || frame.find(R"("type":"sent","re":4)") != std::string::npos;
    left = left || frame.find(R"("type":"left","re":5)") != std::string::npos;
  }
  if (!sent) CHECK(std::string(paul->next(reply_to(4))["type"].GetString()) == "sent");
  CHECK(left);
}
