// The backends under contract test. Each implementation registers a factory for its kind from its
// own fixture file (backend_fixture_<kind>.cpp); contract suites loop over backend_kinds(), so every
// implementation runs the same tests. OUTLOUD_TEST_BACKENDS=embedded,redis restricts the kinds run.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/accounts/account_store.hpp"
#include "server/backend/bus.hpp"
#include "server/backend/presence.hpp"
#include "server/backend/store.hpp"

namespace outloud::testing {

// One isolated set of backends: nothing written through one set is visible to another.
class BackendSet {
 public:
  virtual ~BackendSet() = default;
  virtual backend::Store& store() = 0;
  virtual backend::Bus& bus() = 0;
  virtual backend::PresenceRegistry& presence() = 0;
  virtual accounts::AccountStore& accounts() = 0;
};

// `name` says which test wants the set (for file names, key prefixes, logs).
using BackendFactory = std::function<std::unique_ptr<BackendSet>(const std::string& name)>;

inline std::map<std::string, BackendFactory>& backend_registry() {
  static std::map<std::string, BackendFactory> registry;
  return registry;
}

// Returns true, so that a fixture file can register at static initialization:
//   const bool registered = register_backend_kind("embedded", make_embedded_backends);
inline bool register_backend_kind(const std::string& kind, BackendFactory factory) {
  backend_registry()[kind] = std::move(factory);
  return true;
}

// Registered kinds in name order, filtered by OUTLOUD_TEST_BACKENDS when it is set.
inline std::vector<std::string> backend_kinds() {
  std::vector<std::string> wanted;
  if (const char* filter = std::getenv("OUTLOUD_TEST_BACKENDS"); filter != nullptr && *filter != '\0') {
    std::stringstream list(filter);
    for (std::string kind; std::getline(list, kind, ',');) wanted.push_back(kind);
  }
  std::vector<std::string> kinds;
  for (const auto& [kind, factory] : backend_registry()) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), kind) != wanted.end()) kinds.push_back(kind);
  }
  return kinds;
}

inline std::unique_ptr<BackendSet> make_backends(const std::string& kind, const std::string& name) {
  auto it = backend_registry().find(kind);
  if (it == backend_registry().end()) throw std::invalid_argument("no backend kind " + kind);
  return it->second(name);
}

// Runs the enclosing test body once per backend kind, in a section named after it.
#define OUTLOUD_FOR_EACH_BACKEND(kind_var)                               \
  for (const std::string& kind_var : ::outloud::testing::backend_kinds()) \
  DYNAMIC_SECTION("backend " << kind_var)

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// An append of `text` by `from` into `room`, stamped now.
inline backend::AppendRequest make_append(const std::string& room, const protocol::User& from, const std::string& text,
                                          std::optional<std::string> nonce = std::nullopt) {
  backend::AppendRequest request;
  request.room = room;
  request.from = from;
  request.text = text;
  request.nonce = std::move(nonce);
  request.ts = now_ms();
  return request;
}

// A unique file path in the temporary directory; the database files there are removed when it
// goes out of scope.
class TempDatabasePath {
 public:
  explicit TempDatabasePath(const std::string& name) {
    static std::atomic<int> counter{0};
    std::string safe;
    for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    path_ = (std::filesystem::temp_directory_path() /
             ("outloud-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + safe + ".db"))
                .string();
    remove_files();
  }
  ~TempDatabasePath() { remove_files(); }
  TempDatabasePath(const TempDatabasePath&) = delete;
  TempDatabasePath& operator=(const TempDatabasePath&) = delete;
  const std::string& string() const { return path_; }

 private:
  void remove_files() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_ + suffix, ignored);
  }
  std::string path_;
};

// A bus handler that records what it receives. Attaches itself on construction and detaches on
// destruction, so the bus never calls a destroyed handler.
class RecordingHandler final : public backend::BusHandler {
 public:
  explicit RecordingHandler(backend::Bus& bus) : bus_(bus) { bus_.set_handler(this); }
  ~RecordingHandler() override { bus_.set_handler(nullptr); }
  RecordingHandler(const RecordingHandler&) = delete;
  RecordingHandler& operator=(const RecordingHandler&) = delete;

  void on_bus_event(backend::BusEvent event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }
  void on_bus_reconnected() override {
    std::lock_guard lock(mutex_);
    ++reconnects_;
    changed_.notify_all();
  }

  std::vector<backend::BusEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<backend::BusEvent> events_for(const std::string& room) const {
    std::lock_guard lock(mutex_);
    std::vector<backend::BusEvent> selected;
    for (const auto& event : events_) {
      if (event.room == room) selected.push_back(event);
    }
    return selected;
  }
  int reconnects() const {
    std::lock_guard lock(mutex_);
    return reconnects_;
  }
  // Waits until `room` has received at least `count` events; false on timeout.
  bool wait_for(const std::string& room, std::size_t count,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      std::size_t seen = 0;
      for (const auto& event : events_) seen += event.room == room ? 1 : 0;
      return seen >= count;
    });
  }
  // Waits until at least `count` events (any room) have arrived; false on timeout.
  bool wait_for_events(std::size_t count, std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
  }
  // Waits until the bus has reported at least `count` reconnections; false on timeout.
  bool wait_for_reconnects(int count, std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return reconnects_ >= count; });
  }

 private:
  backend::Bus& bus_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<backend::BusEvent> events_;
  int reconnects_ = 0;
};

}  // namespace outloud::testing
