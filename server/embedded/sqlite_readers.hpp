// Pages of messages (history, records, gap fetches, join snapshots) read on a small pool of
// read-only connections, each on its own thread, beside the store's single writer thread: in WAL
// mode readers never wait for the writer, and a read sees every transaction committed before it
// began, so a read issued after an append was acknowledged includes it. Each page and the room's
// head are read in one transaction, so they agree. Callbacks are called from the reader threads.
//
// Two lanes: interactive reads (someone's join or gap fetch waits for them) and bulk reads
// (history pages, session records). Bulk readers read only bulk pages, at a lower priority
// (core::kBulkNice), so a flood of large reads neither queues ahead of a join nor takes the cores
// from the threads that answer everyone else; without bulk readers, the interactive readers read
// bulk pages too, once no interactive read waits.
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
  // Opens `interactive + bulk` read-only connections to the (existing, WAL) database at `path`.
  // Throws std::runtime_error if one cannot be opened.
  SqliteReaders(const std::string& path, std::size_t interactive, std::size_t bulk, int busy_timeout_ms);
  ~SqliteReaders();  // calls close()
  SqliteReaders(const SqliteReaders&) = delete;
  SqliteReaders& operator=(const SqliteReaders&) = delete;

  // Finishes the reads already queued (callbacks included), then closes the connections; later
  // reads get `unavailable`. Idempotent; must not be called from inside a callback.
  void close();

  void latest(std::string room, int limit, backend::Callback<backend::Page> done, backend::ReadLane lane);
  void after(std::string room, std::int64_t after_seq, int limit, backend::Callback<backend::Page> done,
             backend::ReadLane lane);
  void before(std::string room, std::int64_t before_seq, int limit, backend::Callback<backend::Page> done,
              backend::ReadLane lane);

 private:
  class Connection;
  using Read = std::function<backend::Page(Connection&)>;
  struct Job {
    Read read;
    backend::Callback<backend::Page> done;
  };

  void submit(Read read, backend::Callback<backend::Page> done, backend::ReadLane lane);
  // The next job for a reader of this lane; false once closing and nothing is left for it.
  bool next_job(backend::ReadLane lane, Job& job);
  void run(Connection& connection, backend::ReadLane lane);

  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_interactive_;
  std::condition_variable wake_bulk_;
  std::deque<Job> interactive_queue_;
  std::deque<Job> bulk_queue_;
  bool bulk_readers_ = false;  // else the interactive readers take bulk jobs too
  bool closing_ = false;
  std::mutex join_mutex_;
};

}  // namespace outloud::embedded
