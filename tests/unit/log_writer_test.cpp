// The log never blocks its caller: a stderr that nobody reads (a full pipe) holds up the writer
// thread only; what does not fit the queue is dropped and counted, and the rest comes out in order.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <future>
#include <regex>
#include <string>
#include <thread>

#include "server/core/log.hpp"

namespace outloud::testing {
namespace log_writer_test {

using namespace std::chrono_literals;

// Reads `fd` until EOF.
std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

TEST_CASE("log: a stderr that is not read does not block the callers; what overflows is counted", "[log]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto& writer = log::detail::Writer::instance();
  log::flush();
  writer.set_output(fds[1]);
  const auto level_before = log::threshold().load();
  log::threshold().store(log::Level::info);
  const bool stamped_before = log::timestamps().exchange(false);  // lines as written, to compare

  // About 4 MiB of lines against a 64 KiB pipe nobody reads yet and a 1 MiB queue.
  constexpr int kLines = 20000;
  const std::string filler(200, 'x');
  auto logging = std::async(std::launch::async, [&] {
    for (int i = 0; i < kLines; ++i) log::info("line %d %s", i, filler.c_str());
  });
  const bool returned = logging.wait_for(30s) == std::future_status::ready;
  // Read even if it failed, so that the writer (and so this test) cannot stay stuck.
  auto reading = std::async(std::launch::async, [&] { return read_all(fds[0]); });
  CHECK(returned);
  logging.wait();
  log::flush(10s);
  writer.set_output(2);
  log::info("back on stderr");  // the writer's next write uses fd 2: the pipe is then free to close
  log::flush(10s);
  ::close(fds[1]);
  const std::string text = reading.get();
  ::close(fds[0]);
  log::threshold().store(level_before);
  log::timestamps().store(stamped_before);

  // The first lines came out whole and in order; the overflow was dropped and said so.
  REQUIRE(text.rfind("[info] line 0 " + filler + "\n[info] line 1 ", 0) == 0);
  CHECK(text.find(" lines dropped: stderr did not keep up\n") != std::string::npos);
  CHECK(text.find("back on stderr") == std::string::npos);
  std::size_t lines = 0;
  int last = -1;
  bool ordered = true;
  for (std::size_t at = 0; (at = text.find("[info] line ", at)) != std::string::npos; ++at) {
    const int number = std::stoi(text.substr(at + 12));
    ordered = ordered && number > last;
    last = number;
    ++lines;
  }
  CHECK(ordered);
  CHECK(lines < static_cast<std::size_t>(kLines));
  CHECK(lines > 1000);  // at least the queue's worth
}

TEST_CASE("log: a line starts with its UTC time to the millisecond, unless stderr is the journal", "[log]") {
  for (const bool stamped : {true, false}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto& writer = log::detail::Writer::instance();
    log::flush();
    writer.set_output(fds[1]);
    const bool stamped_before = log::timestamps().exchange(stamped);
    const auto before = std::chrono::system_clock::now();
    log::always("a line");
    log::flush(10s);
    writer.set_output(2);
    log::timestamps().store(stamped_before);
    log::always("back on stderr");
    log::flush(10s);
    ::close(fds[1]);
    const std::string text = read_all(fds[0]);
    ::close(fds[0]);
    if (!stamped) {
      CHECK(text == "[info] a line\n");
      continue;
    }
    std::smatch parts;
    REQUIRE(std::regex_match(text, parts, std::regex(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d{3}Z \[info\] a line\n)")));
    // The same second as the clock read just before, or the next.
    const std::time_t now = std::chrono::system_clock::to_time_t(before);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", &utc);
    const std::time_t next = now + 1;
    ::gmtime_r(&next, &utc);
    char or_next[32];
    std::strftime(or_next, sizeof or_next, "%Y-%m-%dT%H:%M:%S", &utc);
    CHECK((parts[1] == expected || parts[1] == or_next));
  }
}

}  // namespace log_writer_test
}  // namespace outloud::testing
