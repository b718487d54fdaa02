// Leveled logging to stderr, one line per event, safe from any thread and never blocking it: the
// caller formats the line, a writer thread of its own writes it. A stderr that does not drain (a
// full pipe, a stalled journal) so cannot stall an I/O thread: at most kMaxQueuedBytes wait, lines
// beyond are dropped, and their number is logged once the writer catches up. Each line starts with
// its UTC time, to the millisecond, unless stderr is the journal, which stamps lines itself.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace outloud::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

inline std::atomic<Level>& threshold() {
  static std::atomic<Level> level{Level::info};
  return level;
}

namespace detail {

// systemd sets JOURNAL_STREAM="DEVICE:INODE" when it connects stdout or stderr to the journal; it
// is stderr only if that names stderr's file (sd_journal_stream_fd(3)).
inline bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat status {};
  return ::fstat(2, &status) == 0 && status.st_dev == device && status.st_ino == inode;
}

// "2026-12-03T11:40:02.123Z ": ISO 8601, UTC, milliseconds.
inline void append_utc_time(std::string& line) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto since_epoch_ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%03dZ ", static_cast<int>(since_epoch_ms % 1000));
  line.append(text);
}

}  // namespace detail

// Whether lines start with their time: decided once, from the environment (tests may change it).
inline std::atomic<bool>& timestamps() {
  static std::atomic<bool> on{!detail::stderr_is_journal()};
  return on;
}

namespace detail {

class Writer {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 1 << 20;

  // Never destroyed, so that code running during static destruction may still log; the queue is
  // written out at exit (std::atexit), for as long as stderr takes it, up to two seconds.
  static Writer& instance() {
    static Writer* writer = [] {
      auto* created = new Writer();
      std::atexit([] { instance().flush(std::chrono::seconds(2)); });
      return created;
    }();
    return *writer;
  }

  void push(std::string line) {
    {
      std::lock_guard lock(mutex_);
      if (queued_bytes_ + line.size() > kMaxQueuedBytes) {
        ++dropped_;
        return;
      }
      queued_bytes_ += line.size();
      queue_ += line;
    }
    wake_.notify_one();
  }

  // Waits until every line queued so far is written, or `max_wait` has passed.
  void flush(std::chrono::milliseconds max_wait) {
    std::unique_lock lock(mutex_);
    idle_.wait_for(lock, max_wait, [this] { return queue_.empty() && dropped_ == 0 && !writing_; });
  }

  // Where lines go from the next write on (tests); stderr by default.
  void set_output(int fd) {
    std::lock_guard lock(mutex_);
    fd_ = fd;
  }

 private:
  Writer() { std::thread([this] { run(); }).detach(); }

  void run() {
    std::string batch;
    for (;;) {
      std::size_t dropped = 0;
      int fd = 2;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty() || dropped_ > 0; });
        batch.swap(queue_);
        queue_.clear();
        queued_bytes_ = 0;
        dropped = dropped_;
        dropped_ = 0;
        fd = fd_;
        writing_ = true;
      }
      if (dropped > 0) {
        if (timestamps().load(std::memory_order_relaxed)) append_utc_time(batch);
        batch += "[warn] log: " + std::to_string(dropped) + " lines dropped: stderr did not keep up\n";
      }
      write_all(fd, batch);
      batch.clear();
      if (batch.capacity() > kMaxQueuedBytes / 16) std::string().swap(batch);
      {
        std::lock_guard lock(mutex_);
        writing_ = false;
      }
      idle_.notify_all();
    }
  }

  static void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr closed or broken: nothing better to do with the lines
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::string queue_;  // whole lines, each ending in '\n'
  std::size_t queued_bytes_ = 0;
  std::size_t dropped_ = 0;
  bool writing_ = false;
  int fd_ = 2;
};

template <class... Args>
std::string format(const char* format, Args... args) {
  if constexpr (sizeof...(Args) == 0) {
    return format;
  } else {
    const int size = std::snprintf(nullptr, 0, format, args...);
    if (size <= 0) return {};
    std::string text(static_cast<std::size_t>(size), '\0');
    std::snprintf(text.data(), text.size() + 1, format, args...);
    return text;
  }
}

inline void emit(Level level, std::string message) {
  static constexpr const char* names[] = {"debug", "info", "warn", "error"};
  std::string line;
  line.reserve(message.size() + 34);
  if (timestamps().load(std::memory_order_relaxed)) append_utc_time(line);
  line.append("[").append(names[static_cast<int>(level)]).append("] ").append(message).push_back('\n');
  Writer::instance().push(std::move(line));
}

}  // namespace detail

template <class... Args>
void write(Level level, const char* format, Args... args) {
  if (level < threshold().load(std::memory_order_relaxed)) return;
  detail::emit(level, detail::format(format, args...));
}

template <class... Args> void debug(const char* f, Args... a) { write(Level::debug, f, a...); }
template <class... Args> void info(const char* f, Args... a) { write(Level::info, f, a...); }
template <class... Args> void warn(const char* f, Args... a) { write(Level::warn, f, a...); }
template <class... Args> void error(const char* f, Args... a) { write(Level::error, f, a...); }
// An info line printed whatever the level: lines that scripts and people act on (the port, the
// first-run setup link).
template <class... Args> void always(const char* f, Args... a) { detail::emit(Level::info, detail::format(f, a...)); }

// Waits (at most `max_wait`) until every line logged so far is written: before a deliberate exit.
inline void flush(std::chrono::milliseconds max_wait = std::chrono::seconds(2)) {
  detail::Writer::instance().flush(max_wait);
}

}  // namespace outloud::log
