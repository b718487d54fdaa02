#include "server/core/process_metrics.hpp"

#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <system_error>

#ifndef OUTLOUD_VERSION
#define OUTLOUD_VERSION "unknown"
#endif

namespace outloud::core {
namespace {

// The entries of /proc/self/fd, less the one the listing itself holds; -1 without /proc.
std::int64_t open_descriptors() {
  std::error_code error;
  std::int64_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end; it.increment(error)) {
    ++count;
  }
  return error ? -1 : count - 1;
}

std::int64_t max_descriptors() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  return limit.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<std::int64_t>(limit.rlim_cur);
}

void gauge(std::string& out, const char* name, const char* help, std::int64_t value) {
  if (value < 0) return;  // not known here
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" gauge\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

const char* build_version() { return OUTLOUD_VERSION; }

std::string process_metrics_text() {
  std::string out =
      "# HELP outloud_build_info The server's version (always 1).\n"
      "# TYPE outloud_build_info gauge\n"
      "outloud_build_info{version=\"" OUTLOUD_VERSION "\"} 1\n";
  gauge(out, "process_open_fds", "Open file descriptors.", open_descriptors());
  gauge(out, "process_max_fds", "The limit of open file descriptors (RLIMIT_NOFILE, soft).", max_descriptors());
  return out;
}

}  // namespace outloud::core
