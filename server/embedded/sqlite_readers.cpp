#include "server/embedded/sqlite_readers.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "server/core/background_priority.hpp"
#include "server/core/log.hpp"
#include "server/embedded/sqlite_pages.hpp"

namespace outloud::embedded {

using backend::Page;
using backend::ReadLane;

// One read-only connection and its statements; used by one reader thread only.
class SqliteReaders::Connection {
 public:
  Connection(const std::string& path, int busy_timeout_ms) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw std::runtime_error("cannot open database " + path + " for reading: " + why);
    }
    try {
      sqlite3_extended_result_codes(db_, 1);
      sqlite3_busy_timeout(db_, busy_timeout_ms);
      begin_ = sqlite::Statement(db_, "BEGIN");
      commit_ = sqlite::Statement(db_, "COMMIT");
      room_exists_ = sqlite::Statement(db_, pages::kRoomExists);
      last_seq_ = sqlite::Statement(db_, pages::kLastSeq);
      latest_ = sqlite::Statement(db_, pages::latest_sql().c_str());
      after_ = sqlite::Statement(db_, pages::after_sql().c_str());
      before_ = sqlite::Statement(db_, pages::before_sql().c_str());
    } catch (...) {
      finalize_and_close();
      throw;
    }
  }
  ~Connection() { finalize_and_close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `read` in one read transaction: the page and the head it reports agree.
  Page in_transaction(const Read& read) {
    sqlite::Use(begin_).run();
    try {
      Page page = read(*this);
      sqlite::Use(commit_).run();
      return page;
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  Page latest(const std::string& room, int limit) {
    Page page{{}, head(room)};
    if (limit <= 0) return page;
    sqlite::Use select(latest_);
    select.bind(1, room).bind(2, std::int64_t{limit});
    while (select.step()) page.messages.push_back(pages::read_message(select));
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

  Page after(const std::string& room, std::int64_t after_seq, int limit) {
    Page page{{}, head(room)};
    if (limit <= 0) return page;
    sqlite::Use select(after_);
    select.bind(1, room).bind(2, after_seq).bind(3, std::int64_t{limit});
    while (select.step()) page.messages.push_back(pages::read_message(select));
    return page;
  }

  Page before(const std::string& room, std::int64_t before_seq, int limit) {
    Page page{{}, head(room)};
    if (limit <= 0) return page;
    sqlite::Use select(before_);
    select.bind(1, room).bind(2, before_seq).bind(3, std::int64_t{limit});
    while (select.step()) page.messages.push_back(pages::read_message(select));
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

 private:
  // The room's last seq; 0 if it has no message or does not exist (as the writer answers).
  std::int64_t head(const std::string& room) {
    {
      sqlite::Use exists(room_exists_);
      exists.bind(1, room);
      if (!exists.step()) return 0;
    }
    sqlite::Use select(last_seq_);
    select.bind(1, room);
    return select.step() ? select.int64(0) : 0;
  }

  void finalize_and_close() {
    for (auto* statement : {&begin_, &commit_, &room_exists_, &last_seq_, &latest_, &after_, &before_}) {
      *statement = sqlite::Statement();
    }
    if (db_ != nullptr) sqlite3_close(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  sqlite::Statement begin_, commit_, room_exists_, last_seq_, latest_, after_, before_;
};

SqliteReaders::SqliteReaders(const std::string& path, std::size_t interactive, std::size_t bulk,
                             int busy_timeout_ms)
    : bulk_readers_(bulk > 0) {
  std::vector<ReadLane> lanes(interactive, ReadLane::interactive);
  lanes.insert(lanes.end(), bulk, ReadLane::bulk);
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    connections_.push_back(std::make_unique<Connection>(path, busy_timeout_ms));
  }
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    threads_.emplace_back([this, c = connections_[i].get(), lane = lanes[i]] { run(*c, lane); });
  }
}

SqliteReaders::~SqliteReaders() { close(); }

void SqliteReaders::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_interactive_.notify_all();
  wake_bulk_.notify_all();
  std::lock_guard lock(join_mutex_);  // a second concurrent close() waits for the first
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  connections_.clear();
}

void SqliteReaders::latest(std::string room, int limit, backend::Callback<Page> done, ReadLane lane) {
  submit([room = std::move(room), limit](Connection& c) { return c.latest(room, limit); }, std::move(done), lane);
}

void SqliteReaders::after(std::string room, std::int64_t after_seq, int limit, backend::Callback<Page> done,
                          ReadLane lane) {
  submit([room = std::move(room), after_seq, limit](Connection& c) { return c.after(room, after_seq, limit); },
         std::move(done), lane);
}

void SqliteReaders::before(std::string room, std::int64_t before_seq, int limit, backend::Callback<Page> done,
                           ReadLane lane) {
  submit([room = std::move(room), before_seq, limit](Connection& c) { return c.before(room, before_seq, limit); },
         std::move(done), lane);
}

void SqliteReaders::submit(Read read, backend::Callback<Page> done, ReadLane lane) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      const bool bulk = lane == ReadLane::bulk;
      (bulk ? bulk_queue_ : interactive_queue_).push_back(Job{std::move(read), std::move(done)});
      (bulk && bulk_readers_ ? wake_bulk_ : wake_interactive_).notify_one();
      return;
    }
  }
  if (done) done(backend::unavailable("the store is closed"));
}

bool SqliteReaders::next_job(ReadLane lane, Job& job) {
  std::unique_lock lock(mutex_);
  // Interactive readers take bulk jobs only when there are no bulk readers, and after the others.
  const bool takes_interactive = lane == ReadLane::interactive;
  const bool takes_bulk = lane == ReadLane::bulk || !bulk_readers_;
  auto ready = [&] {
    return (takes_interactive && !interactive_queue_.empty()) || (takes_bulk && !bulk_queue_.empty());
  };
  (lane == ReadLane::bulk ? wake_bulk_ : wake_interactive_).wait(lock, [&] { return ready() || closing_; });
  if (!ready()) return false;  // closing, and everything queued for this lane is done
  auto& queue = takes_interactive && !interactive_queue_.empty() ? interactive_queue_ : bulk_queue_;
  job = std::move(queue.front());
  queue.pop_front();
  return true;
}

void SqliteReaders::run(Connection& connection, ReadLane lane) {
  pthread_setname_np(pthread_self(), lane == ReadLane::bulk ? "outloud-sqlbulk" : "outloud-sqlread");
  if (lane == ReadLane::bulk) core::run_at_bulk_priority();
  Job job;
  while (next_job(lane, job)) {
    backend::Result<Page> result = backend::internal_error("storage failure");
    try {
      result = connection.in_transaction(job.read);
    } catch (const std::exception& failure) {
      log::error("sqlite: a read failed: %s", failure.what());
    }
    try {
      if (job.done) job.done(std::move(result));
    } catch (const std::exception& error) {
      log::error("sqlite: a store callback threw: %s", error.what());
    } catch (...) {
      log::error("sqlite: a store callback threw");
    }
    job = Job{};  // what the read held goes now, not when the next job comes
  }
}

}  // namespace outloud::embedded
