// Minimal leveled logging to stderr, one line per event, safe from any thread.
#pragma once

#include <atomic>
#include <cstdio>
#include <stdio.h>  // flockfile
#include <string_view>

namespace outloud::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

inline std::atomic<Level>& threshold() {
  static std::atomic<Level> level{Level::info};
  return level;
}

// The stream is locked for the whole line, so lines from different threads do not interleave.
template <class... Args>
void write(Level level, const char* format, Args... args) {
  if (level < threshold().load(std::memory_order_relaxed)) return;
  static constexpr const char* names[] = {"debug", "info", "warn", "error"};
  flockfile(stderr);
  std::fprintf(stderr, "[%s] ", names[static_cast<int>(level)]);
  if constexpr (sizeof...(Args) == 0) {
    std::fputs(format, stderr);
  } else {
    std::fprintf(stderr, format, args...);
  }
  std::fputc('\n', stderr);
  funlockfile(stderr);
}

template <class... Args> void debug(const char* f, Args... a) { write(Level::debug, f, a...); }
template <class... Args> void info(const char* f, Args... a) { write(Level::info, f, a...); }
template <class... Args> void warn(const char* f, Args... a) { write(Level::warn, f, a...); }
template <class... Args> void error(const char* f, Args... a) { write(Level::error, f, a...); }

}  // namespace outloud::log
