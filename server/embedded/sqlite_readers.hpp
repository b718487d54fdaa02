// Pages of messages (history, records, gap fetches, join snapshots) read on a small pool of
// read-only connections, each on its own thread, beside the store's single writer thread: in WAL
// mode readers never wait for the writer, and a read sees every transaction committed before it
// began, so a read issued after an append was acknowledged includes it. Each page and the room's
// head are read in one transaction, so they agree. Callbacks are called from the reader threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/backend/store.hpp"

namespace outloud::embedded {

class SqliteReaders {
 public:
  // Opens `connections` read-only connections to the (existing, WAL) database at `path`.
  // Throws std::runtime_error if one cannot be opened.
  SqliteReaders(const std::string& path, std::size_t connections, int busy_timeout_ms);
  ~SqliteReaders();  // calls close()
  SqliteReaders(const SqliteReaders&) = delete;
  SqliteReaders& operator=(const SqliteReaders&) = delete;

  // Finishes the reads already queued (callbacks included), then closes the connections; later
  // reads get `unavailable`. Idempotent; must not be called from inside a callback.
  void close();

  void latest(std::string room, int limit, backend::Callback<backend::Page> done);
  void after(std::string room, std::int64_t after_seq, int limit, backend::Callback<backend::Page> done);
  void before(std::string room, std::int64_t before_seq, int limit, backend::Callback<backend::Page> done);

 private:
  class Connection;
  using Read = std::function<backend::Page(Connection&)>;
  struct Job {
    Read read;
    backend::Callback<backend::Page> done;
  };

  void submit(Read read, backend::Callback<backend::Page> done);
  void run(Connection& connection);

  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool closing_ = false;
  std::mutex join_mutex_;
};

}  // namespace outloud::embedded
