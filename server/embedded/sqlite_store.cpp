#include "server/embedded/sqlite_store.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include "outloud/protocol/server_frames.hpp"
#include "server/core/log.hpp"
#include "server/embedded/sqlite_failure.hpp"
#include "server/embedded/sqlite_message_changes.hpp"
#include "server/embedded/sqlite_pages.hpp"
#include "server/embedded/sqlite_schema.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded {

using backend::AppendRequest;
using backend::AppendResult;
using backend::Callback;
using backend::Page;
using backend::Result;
using backend::RoomState;
using protocol::Message;
using protocol::Room;

namespace {

using pages::read_message;
using schema::kMessageColumns;

std::optional<std::int64_t> retention(const Room& room) {
  if (!room.retention_days) return std::nullopt;
  return std::int64_t{*room.retention_days};
}

Room read_room(const sqlite::Use& row) {
  Room r;
  r.id = row.text(0);
  r.title = row.text(1);
  r.kind = protocol::room_kind_from(row.text(2)).value_or(protocol::RoomKind::room);
  r.created_by = row.text(3);
  r.created_at = row.int64(4);
  r.parent = row.optional_text(5);
  r.org = row.text(6);
  r.visibility = protocol::visibility_from(row.text(7)).value_or(protocol::Visibility::open);
  r.label = row.text(8);
  if (auto days = row.optional_int64(9)) r.retention_days = static_cast<int>(*days);
  r.archived = row.int64(10) != 0;
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The worker: owns the connection, its statements and the per-room head cache. Only the worker
// thread touches them.
class SqliteStore::Impl {
 public:
  Impl(std::string path, backend::Bus& bus, SqliteStoreOptions options)
      : path_(std::move(path)), bus_(bus), options_(options) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    auto opened = std::make_shared<std::promise<void>>();
    auto opened_future = opened->get_future();
    thread_ = std::thread([this, opened] { run(*opened); });
    try {
      opened_future.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }

  ~Impl() { close(); }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    wake_.notify_one();
    if (std::this_thread::get_id() == thread_.get_id()) return;  // the worker exits after draining
    std::lock_guard lock(join_mutex_);  // a second concurrent close() waits for the first
    if (thread_.joinable()) thread_.join();
  }

  std::int64_t messages_stored() const { return stored_.load(std::memory_order_relaxed); }

  // Queues a request. `fn(Impl&) -> Result<T>` runs on the worker inside the batch's transaction;
  // a write request is answered with the failure (sqlite_failure.hpp) if the transaction fails, a
  // read is run again after the rollback (so it never sees the failed writes).
  template <class T, class Fn>
  void submit(bool writes, Callback<T> done, Fn fn) {
    auto shared_done = std::make_shared<Callback<T>>(std::move(done));
    Request request;
    request.writes = writes;
    request.execute = [shared_done, fn = std::move(fn)](Impl& impl) -> std::function<void()> {
      auto result = std::make_shared<Result<T>>(fn(impl));
      return [shared_done, result] {
        if (*shared_done) (*shared_done)(std::move(*result));
      };
    };
    request.fail = [shared_done](backend::Error error) {
      if (*shared_done) (*shared_done)(Result<T>(std::move(error)));
    };
    {
      std::lock_guard lock(mutex_);
      if (!closing_) {
        queue_.push_back(std::move(request));
        wake_.notify_one();
        return;
      }
    }
    request.fail(backend::unavailable("the store is closed"));
  }

  // ---- operations (worker thread) ----

  Result<Room> create_room(const Room& room) {
    sqlite::Use insert(insert_room_);
    insert.bind(1, room.id).bind(2, room.title).bind(3, protocol::to_string(room.kind)).bind(4, room.created_by);
    insert.bind(5, room.created_at).bind(6, room.parent).bind(7, room.org).bind(8, protocol::to_string(room.visibility));
    insert.bind(9, room.label).bind(10, retention(room)).bind(11, std::int64_t{room.archived}).run();
    if (sqlite3_changes(db_) == 0) return backend::Error{protocol::ErrorCode::conflict, "room exists: " + room.id};
    return room;
  }

  Result<Room> update_room(const Room& room) {
    sqlite::Use update(update_room_);
    update.bind(1, room.id).bind(2, room.title).bind(3, room.org).bind(4, protocol::to_string(room.visibility));
    update.bind(5, room.label).bind(6, retention(room)).bind(7, std::int64_t{room.archived}).run();
    if (sqlite3_changes(db_) == 0) return backend::Error{protocol::ErrorCode::not_found, "no such room: " + room.id};
    sqlite::Use select(select_room_);
    select.bind(1, room.id);
    if (!select.step()) return backend::Error{protocol::ErrorCode::not_found, "no such room: " + room.id};
    return read_room(select);
  }

  Result<std::int64_t> delete_messages_before(const std::string& room, std::int64_t ts, int limit) {
    std::int64_t deleted = 0;
    std::int64_t through = 0;
    std::map<std::string, std::int64_t> deleted_by_topic;
    {
      sqlite::Use remove(delete_before_);
      remove.bind(1, room).bind(2, ts).bind(3, std::int64_t{limit});
      while (remove.step()) {
        ++deleted;
        through = std::max(through, remove.int64(0));
        deleted_by_topic[remove.text(1)]++;
      }
    }
    for (const auto& [topic, count] : deleted_by_topic) {
      sqlite::Use forget(forget_topic_messages_);
      forget.bind(1, room).bind(2, topic).bind(3, count).run();
    }
    if (deleted > 0) {
      sqlite::Use(drop_empty_topics_).bind(1, room).run();
      sqlite::Use note(note_deleted_);
      note.bind(1, room).bind(2, through).run();
      stored_.fetch_sub(deleted, std::memory_order_relaxed);
    }
    return deleted;
  }

  Result<std::optional<Room>> get_room(const std::string& id) {
    sqlite::Use select(select_room_);
    select.bind(1, id);
    if (!select.step()) return std::optional<Room>();
    return std::optional<Room>(read_room(select));
  }

  Result<std::vector<Room>> list_rooms() {
    std::vector<Room> rooms;
    sqlite::Use select(list_rooms_);
    while (select.step()) rooms.push_back(read_room(select));
    return rooms;
  }

  Result<std::int64_t> count_rooms() {
    sqlite::Use select(count_rooms_);
    return select.step() ? select.int64(0) : std::int64_t{0};
  }

  Result<std::vector<Room>> list_rooms_page(const std::string& after, int limit) {
    std::vector<Room> rooms;
    sqlite::Use select(list_rooms_page_);
    select.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    while (select.step()) rooms.push_back(read_room(select));
    return rooms;
  }

  Result<AppendResult> append(const AppendRequest& request) {
    auto head = head_of(request.room);
    if (!head) return backend::Error{protocol::ErrorCode::not_found, "no such room: " + request.room};
    if (request.nonce) {
      // Sees the earlier appends of this same batch: they are in the open transaction.
      sqlite::Use find(find_nonce_);
      find.bind(1, request.room).bind(2, request.from.id).bind(3, *request.nonce);
      find.bind(4, request.ts - backend::kNonceWindowMs);
      if (find.step()) return AppendResult{read_message(find), true};
    }
    Message m;
    m.room = request.room;
    m.seq = *head + 1;
    m.ts = request.ts;
    m.from = request.from;
    m.topic = request.topic;
    m.text = request.text;
    m.tag = request.tag;
    m.reply_to = request.reply_to;
    m.nonce = request.nonce;
    {
      sqlite::Use insert(insert_message_);
      insert.bind(1, m.room).bind(2, m.seq).bind(3, m.ts).bind(4, m.from.id).bind(5, m.from.name);
      insert.bind(6, m.from.org).bind(7, m.topic).bind(8, m.text);
      std::optional<std::string_view> tag;
      if (m.tag) tag = protocol::to_string(*m.tag);
      insert.bind(9, tag).bind(10, m.reply_to).bind(11, m.nonce).bind(12, std::int64_t{m.from.guest}).run();
    }
    {
      sqlite::Use topic(upsert_topic_);
      topic.bind(1, m.room).bind(2, m.topic).bind(3, m.seq).bind(4, m.ts).run();
    }
    mark_own_message(m.from.id, m.room, m.topic, m.seq);
    heads_[m.room] = m.seq;
    to_publish_.push_back(m);
    return AppendResult{std::move(m), false};
  }

  Result<Page> latest(const std::string& room, int limit) {
    Page page;
    page.head = head_of(room).value_or(0);
    if (limit <= 0) return page;
    sqlite::Use select(latest_);
    select.bind(1, room).bind(2, std::int64_t{limit});
    while (select.step()) page.messages.push_back(read_message(select));
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

  Result<Page> after(const std::string& room, std::int64_t after_seq, int limit) {
    Page page;
    page.head = head_of(room).value_or(0);
    if (limit <= 0) return page;
    sqlite::Use select(after_);
    select.bind(1, room).bind(2, after_seq).bind(3, std::int64_t{limit});
    while (select.step()) page.messages.push_back(read_message(select));
    return page;
  }

  Result<Page> before(const std::string& room, std::int64_t before_seq, int limit) {
    Page page;
    page.head = head_of(room).value_or(0);
    if (limit <= 0) return page;
    sqlite::Use select(before_);
    select.bind(1, room).bind(2, before_seq).bind(3, std::int64_t{limit});
    while (select.step()) page.messages.push_back(read_message(select));
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

  // ---- topics and read markers ----

  Result<Page> topic_page(const std::string& room, const std::string& topic, std::optional<std::int64_t> before,
                          std::optional<std::int64_t> after, int limit) {
    Page page;
    page.head = head_of(room).value_or(0);
    if (limit <= 0) return page;
    sqlite::Use select(after ? topic_after_ : before ? topic_before_ : topic_latest_);
    select.bind(1, room).bind(2, topic);
    if (after || before) {
      select.bind(3, after ? *after : *before).bind(4, std::int64_t{limit});
    } else {
      select.bind(3, std::int64_t{limit});
    }
    while (select.step()) page.messages.push_back(read_message(select));
    if (!after) std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

  std::int64_t read_marker(const std::string& user, const std::string& room, const std::string& topic) {
    sqlite::Use select(get_marker_);
    select.bind(1, user).bind(2, room).bind(3, topic);
    return select.step() ? select.int64(0) : 0;
  }

  Result<std::vector<protocol::TopicSummary>> list_topics(const std::string& room, const std::string& user,
                                                           std::int64_t before, int limit) {
    std::vector<protocol::TopicSummary> topics;
    {
      sqlite::Use select(list_topics_);
      select.bind(1, room).bind(2, before > 0 ? before : std::numeric_limits<std::int64_t>::max());
      select.bind(3, std::int64_t{limit});
      while (select.step()) {
        topics.push_back({select.text(0), select.int64(1), select.int64(2), select.int64(3), 0});
      }
    }
    const std::int64_t room_read = read_marker(user, room, "");
    for (auto& topic : topics) {
      const std::int64_t marker = std::max(room_read, read_marker(user, room, topic.topic));
      if (marker >= topic.last_seq) continue;
      sqlite::Use count(count_after_);
      count.bind(1, room).bind(2, topic.topic).bind(3, marker).bind(4, protocol::kMaxUnreadCounted);
      topic.unread = count.step() ? count.int64(0) : 0;
    }
    return topics;
  }

  Result<std::int64_t> mark_read(const std::string& user, const std::string& room, const std::string& topic,
                                 std::int64_t seq) {
    sqlite::Use upsert(set_marker_);
    upsert.bind(1, user).bind(2, room).bind(3, topic).bind(4, seq);
    return upsert.step() ? upsert.int64(0) : seq;
  }

  // The author's markers move past their own message (see Store::append).
  void mark_own_message(const std::string& user, const std::string& room, const std::string& topic, std::int64_t seq) {
    const std::int64_t room_read = read_marker(user, room, "");
    const std::int64_t topic_read = read_marker(user, room, topic);
    sqlite::Use previous(previous_in_topic_);
    previous.bind(1, room).bind(2, topic).bind(3, seq);
    const std::int64_t before = previous.step() ? previous.int64(0) : 0;
    if (std::max(room_read, topic_read) >= before) mark_read(user, room, topic, seq);
    if (room_read == seq - 1) mark_read(user, room, "", seq);
  }

  Result<std::vector<backend::RoomProgress>> read_progress(const std::string& user,
                                                           const std::vector<std::string>& rooms) {
    std::vector<backend::RoomProgress> progress;
    progress.reserve(rooms.size());
    for (const auto& room : rooms) {
      const std::int64_t read = read_marker(user, room, "");
      sqlite::Use count(count_mentions_);
      count.bind(1, user).bind(2, room).bind(3, read).bind(4, protocol::kMaxUnreadCounted);
      progress.push_back({head_of(room).value_or(0), read, count.step() ? count.int64(0) : 0});
    }
    return progress;
  }

  Result<backend::Unit> note_mentions(const std::string& room, std::int64_t seq, const std::vector<std::string>& users) {
    for (const auto& user : users) {
      sqlite::Use insert(insert_mention_);
      insert.bind(1, user).bind(2, room).bind(3, seq).run();
      sqlite::Use trim(trim_mentions_);
      trim.bind(1, user).bind(2, room).bind(3, std::int64_t{backend::kMentionsKept}).run();
    }
    return backend::Unit{};
  }

  Result<RoomState> load_state(const std::string& room) {
    sqlite::Use select(load_state_);
    select.bind(1, room);
    if (!select.step()) return RoomState{};
    return RoomState{select.int64(0), select.text(1)};
  }

  Result<bool> save_state(const std::string& room, std::int64_t expected_version, const std::string& json) {
    if (expected_version == 0) {
      sqlite::Use insert(insert_state_);
      insert.bind(1, room).bind(2, json).run();
    } else {
      sqlite::Use update(update_state_);
      update.bind(1, json).bind(2, room).bind(3, expected_version).run();
    }
    return sqlite3_changes(db_) == 1;
  }

  SqliteMessageChanges& changes() { return *changes_; }

 private:
  struct Request {
    bool writes = false;
    std::function<std::function<void()>(Impl&)> execute;  // returns the completion to run after COMMIT
    std::function<void(backend::Error)> fail;
  };

  void run(std::promise<void>& opened) {
    pthread_setname_np(pthread_self(), "outloud-sqlite");
    try {
      open();
    } catch (...) {
      close_db();
      {
        std::lock_guard lock(mutex_);
        closing_ = true;
      }
      opened.set_exception(std::current_exception());
      return;
    }
    opened.set_value();
    for (;;) {
      std::deque<Request> batch;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty() || closing_; });
        if (queue_.empty()) break;  // closing, and everything queued is done
        std::size_t take = std::min(queue_.size(), options_.max_batch);
        auto end = queue_.begin() + static_cast<std::ptrdiff_t>(take);
        std::move(queue_.begin(), end, std::back_inserter(batch));
        queue_.erase(queue_.begin(), end);
      }
      process(batch);
    }
    close_db();
  }

  void open() {
    int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      throw std::runtime_error("cannot open database " + path_ + ": " +
                               (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
    {
      sqlite::Statement wal(db_, "PRAGMA journal_mode=WAL");
      sqlite::Use use(wal);
      std::string mode = use.step() ? use.text(0) : "";
      if (mode != "wal" && path_ != ":memory:") throw std::runtime_error("cannot enable WAL on " + path_ + ": " + mode);
    }
    switch (options_.synchronous) {
      case SqliteStoreOptions::Synchronous::off:
        log::warn("sqlite: synchronous=OFF: acknowledged messages may be lost in a crash (tests only)");
        sqlite::exec(db_, "PRAGMA synchronous=OFF");
        break;
      case SqliteStoreOptions::Synchronous::normal: sqlite::exec(db_, "PRAGMA synchronous=NORMAL"); break;
      case SqliteStoreOptions::Synchronous::full: sqlite::exec(db_, "PRAGMA synchronous=FULL"); break;
    }
    sqlite::exec(db_, "PRAGMA foreign_keys=ON");
    if (options_.max_db_pages > 0) {
      sqlite::exec(db_, ("PRAGMA max_page_count=" + std::to_string(options_.max_db_pages)).c_str());
    }
    migrate();

    insert_room_ = sqlite::Statement(db_,
        (std::string("INSERT INTO rooms(") + schema::kRoomColumns +
         ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING").c_str());
    select_room_ = sqlite::Statement(db_,
        (std::string("SELECT ") + schema::kRoomColumns + " FROM rooms WHERE id = ?1").c_str());
    list_rooms_ = sqlite::Statement(db_,
        (std::string("SELECT ") + schema::kRoomColumns + " FROM rooms ORDER BY created_at, id").c_str());
    update_room_ = sqlite::Statement(db_,
        "UPDATE rooms SET title = ?2, org = ?3, visibility = ?4, label = ?5, retention_days = ?6, archived = ?7 "
        "WHERE id = ?1");
    delete_before_ = sqlite::Statement(db_, "DELETE FROM messages WHERE room = ?1 AND seq IN "
        "(SELECT seq FROM messages WHERE room = ?1 AND ts < ?2 ORDER BY seq LIMIT ?3) RETURNING seq, topic");
    note_deleted_ = sqlite::Statement(db_,
        "UPDATE rooms SET deleted_through = max(deleted_through, ?2) WHERE id = ?1");
    // The primary key's index: a page costs its own size, however many rooms there are.
    list_rooms_page_ = sqlite::Statement(db_,
        (std::string("SELECT ") + schema::kRoomColumns + " FROM rooms WHERE id > ?1 ORDER BY id LIMIT ?2").c_str());
    count_rooms_ = sqlite::Statement(db_, "SELECT COUNT(*) FROM rooms");
    room_exists_ = sqlite::Statement(db_, pages::kRoomExists);
    max_seq_ = sqlite::Statement(db_, pages::kLastSeq);
    find_nonce_ = sqlite::Statement(db_, schema::kFindNonce);
    insert_message_ = sqlite::Statement(db_,
        (std::string("INSERT INTO messages(") + schema::kInsertMessageColumns +
         ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)").c_str());
    latest_ = sqlite::Statement(db_, pages::latest_sql().c_str());
    after_ = sqlite::Statement(db_, pages::after_sql().c_str());
    before_ = sqlite::Statement(db_, pages::before_sql().c_str());
    // Topics: the topic index makes a topic's page and its unread count cost their own size.
    const std::string by_topic =
        std::string("SELECT ") + kMessageColumns + " FROM messages INDEXED BY messages_by_topic WHERE room = ?1 AND topic = ?2 ";
    topic_latest_ = sqlite::Statement(db_, (by_topic + "ORDER BY seq DESC LIMIT ?3").c_str());
    topic_after_ = sqlite::Statement(db_, (by_topic + "AND seq > ?3 ORDER BY seq LIMIT ?4").c_str());
    topic_before_ = sqlite::Statement(db_, (by_topic + "AND seq < ?3 ORDER BY seq DESC LIMIT ?4").c_str());
    upsert_topic_ = sqlite::Statement(db_,
        "INSERT INTO topics(room, topic, count, last_seq, last_ts) VALUES(?1, ?2, 1, ?3, ?4) "
        "ON CONFLICT(room, topic) DO UPDATE SET count = count + 1, last_seq = excluded.last_seq, last_ts = excluded.last_ts");
    forget_topic_messages_ = sqlite::Statement(db_, "UPDATE topics SET count = count - ?3 WHERE room = ?1 AND topic = ?2");
    drop_empty_topics_ = sqlite::Statement(db_, "DELETE FROM topics WHERE room = ?1 AND count <= 0");
    list_topics_ = sqlite::Statement(db_,
        "SELECT topic, count, last_seq, last_ts FROM topics INDEXED BY topics_by_activity "
        "WHERE room = ?1 AND last_seq < ?2 ORDER BY last_seq DESC LIMIT ?3");
    count_after_ = sqlite::Statement(db_,
        "SELECT COUNT(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_topic "
        "WHERE room = ?1 AND topic = ?2 AND seq > ?3 LIMIT ?4)");
    get_marker_ = sqlite::Statement(db_, "SELECT seq FROM read_markers WHERE user_id = ?1 AND room = ?2 AND topic = ?3");
    previous_in_topic_ = sqlite::Statement(db_,
        "SELECT seq FROM messages INDEXED BY messages_by_topic WHERE room = ?1 AND topic = ?2 AND seq < ?3 "
        "ORDER BY seq DESC LIMIT 1");
    insert_mention_ = sqlite::Statement(db_, "INSERT OR IGNORE INTO mentions(user_id, room, seq) VALUES(?1, ?2, ?3)");
    trim_mentions_ = sqlite::Statement(db_,
        "DELETE FROM mentions WHERE user_id = ?1 AND room = ?2 AND seq <= "
        "(SELECT seq FROM mentions WHERE user_id = ?1 AND room = ?2 ORDER BY seq DESC LIMIT 1 OFFSET ?3)");
    count_mentions_ = sqlite::Statement(db_,
        "SELECT COUNT(*) FROM (SELECT 1 FROM mentions WHERE user_id = ?1 AND room = ?2 AND seq > ?3 LIMIT ?4)");
    set_marker_ = sqlite::Statement(db_,
        "INSERT INTO read_markers(user_id, room, topic, seq) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(user_id, room, topic) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq");
    load_state_ = sqlite::Statement(db_, "SELECT version, json FROM room_state WHERE room = ?1");
    insert_state_ = sqlite::Statement(db_,
        "INSERT INTO room_state(room, version, json) VALUES(?1, 1, ?2) ON CONFLICT(room) DO NOTHING");
    update_state_ = sqlite::Statement(db_,
        "UPDATE room_state SET version = version + 1, json = ?1 WHERE room = ?2 AND version = ?3");
    begin_immediate_ = sqlite::Statement(db_, "BEGIN IMMEDIATE");
    begin_deferred_ = sqlite::Statement(db_, "BEGIN");
    commit_ = sqlite::Statement(db_, "COMMIT");
    savepoint_ = sqlite::Statement(db_, "SAVEPOINT request");
    release_ = sqlite::Statement(db_, "RELEASE request");
    rollback_to_ = sqlite::Statement(db_, "ROLLBACK TO request");

    changes_ = std::make_unique<SqliteMessageChanges>(db_);

    sqlite::Statement count(db_, "SELECT COUNT(*) FROM messages");
    sqlite::Use use(count);
    stored_ = use.step() ? use.int64(0) : 0;
  }

  void migrate() {
    int version = 0;
    {
      sqlite::Statement read(db_, "PRAGMA user_version");
      sqlite::Use use(read);
      if (use.step()) version = static_cast<int>(use.int64(0));
    }
    if (version > schema::kVersion) {
      throw std::runtime_error(path_ + " has schema version " + std::to_string(version) +
                               ", newer than this build's " + std::to_string(schema::kVersion));
    }
    for (; version < schema::kVersion; ++version) {
      sqlite::exec(db_, "BEGIN IMMEDIATE");
      try {
        sqlite::exec(db_, schema::kMigrations[static_cast<std::size_t>(version)]);
        sqlite::exec(db_, ("PRAGMA user_version=" + std::to_string(version + 1)).c_str());
        sqlite::exec(db_, "COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      log::info("sqlite: %s migrated to schema version %d", path_.c_str(), version + 1);
    }
  }

  void close_db() {
    // Statements first: sqlite3_close refuses a connection with live statements.
    changes_.reset();
    for (auto* statement : {&insert_room_, &select_room_, &list_rooms_, &list_rooms_page_, &count_rooms_,
                            &update_room_, &delete_before_, &note_deleted_, &room_exists_, &max_seq_, &find_nonce_,
                            &insert_message_, &latest_, &after_, &before_, &load_state_, &insert_state_,
                            &update_state_, &begin_immediate_, &begin_deferred_, &commit_, &savepoint_, &release_,
                            &rollback_to_, &topic_latest_, &topic_after_, &topic_before_, &upsert_topic_,
                            &forget_topic_messages_, &drop_empty_topics_, &list_topics_, &count_after_,
                            &get_marker_, &previous_in_topic_, &set_marker_, &insert_mention_, &trim_mentions_,
                            &count_mentions_}) {
      *statement = sqlite::Statement();
    }
    if (db_ != nullptr) {
      int rc = sqlite3_close(db_);
      if (rc != SQLITE_OK) log::error("sqlite: closing %s: %s", path_.c_str(), sqlite3_errstr(rc));
      db_ = nullptr;
    }
  }

  // The room's last seq (0 if it has no message), nullopt if the room does not exist.
  std::optional<std::int64_t> head_of(const std::string& room) {
    if (auto it = heads_.find(room); it != heads_.end()) return it->second;
    {
      sqlite::Use exists(room_exists_);
      exists.bind(1, room);
      if (!exists.step()) return std::nullopt;
    }
    sqlite::Use select(max_seq_);
    select.bind(1, room);
    std::int64_t head = select.step() ? select.int64(0) : 0;
    heads_.emplace(room, head);
    return head;
  }

  // Runs one request of a batch inside its own savepoint. If it throws, its writes are rolled back
  // and it alone fails; the transaction (and the batch) goes on. If SQLite itself ended the
  // transaction (a full disk, an I/O error), the exception goes on to fail the whole batch.
  std::function<void()> execute_alone(Request& request) {
    const std::size_t published = to_publish_.size();
    sqlite::Use(savepoint_).run();
    try {
      auto completion = request.execute(*this);
      sqlite::Use(release_).run();
      return completion;
    } catch (const std::exception& failure) {
      if (sqlite3_get_autocommit(db_) != 0) throw;  // the whole transaction is gone
      sqlite::Use(rollback_to_).run();
      sqlite::Use(release_).run();
      to_publish_.resize(published);
      heads_.clear();  // may hold a seq written in the rolled-back savepoint
      log::error("sqlite: a request failed and was rolled back alone: %s", failure.what());
      return [&request, error = sqlite::failure_of(failure, "storage failure")] { request.fail(error); };
    }
  }

  // One transaction for the whole batch; nothing is published or answered before COMMIT.
  void process(std::deque<Request>& batch) {
    bool writes = std::any_of(batch.begin(), batch.end(), [](const Request& r) { return r.writes; });
    std::vector<std::function<void()>> completions;
    completions.reserve(batch.size());
    to_publish_.clear();
    try {
      sqlite::Use(writes ? begin_immediate_ : begin_deferred_).run();
      for (auto& request : batch) completions.push_back(execute_alone(request));
      sqlite::Use(commit_).run();
    } catch (const std::exception& failure) {
      log::error("sqlite: a batch of %zu requests failed and was rolled back: %s", batch.size(), failure.what());
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // may already be rolled back; harmless
      heads_.clear();  // the cache may hold seqs of the rolled-back appends
      to_publish_.clear();
      completions.clear();
      const backend::Error error = sqlite::failure_of(failure, "storage failure");
      for (auto& request : batch) {
        if (request.writes) {
          completions.push_back([&request, error] { request.fail(error); });
          continue;
        }
        try {
          completions.push_back(request.execute(*this));  // a read, now outside any transaction
        } catch (const std::exception& again) {
          completions.push_back([&request, error = sqlite::failure_of(again, "storage failure")] { request.fail(error); });
        }
      }
    }
    stored_.fetch_add(static_cast<std::int64_t>(to_publish_.size()), std::memory_order_relaxed);
    for (auto& message : to_publish_) {
      backend::BusEvent event;
      event.kind = backend::BusEvent::Kind::message;
      event.room = message.room;
      event.seq = message.seq;
      event.payload = std::make_shared<const std::string>(protocol::message_event(message));
      bus_.publish(std::move(event), nullptr);
    }
    to_publish_.clear();
    for (auto& completion : completions) {
      try {
        completion();
      } catch (const std::exception& error) {
        log::error("sqlite: a store callback threw: %s", error.what());
      } catch (...) {
        log::error("sqlite: a store callback threw");
      }
    }
  }

  const std::string path_;
  backend::Bus& bus_;
  SqliteStoreOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool closing_ = false;
  std::thread thread_;
  std::mutex join_mutex_;
  std::atomic<std::int64_t> stored_{0};

  // Worker thread only.
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::int64_t> heads_;
  std::vector<Message> to_publish_;  // appended in the current batch, in seq order per room
  std::unique_ptr<SqliteMessageChanges> changes_;  // edits, deletions, search
  sqlite::Statement insert_room_, select_room_, list_rooms_, list_rooms_page_, count_rooms_, update_room_,
      delete_before_, note_deleted_, room_exists_, max_seq_, find_nonce_, insert_message_, latest_, after_, before_,
      load_state_, insert_state_, update_state_, begin_immediate_, begin_deferred_, commit_, savepoint_, release_,
      rollback_to_, topic_latest_, topic_after_, topic_before_, upsert_topic_, forget_topic_messages_,
      drop_empty_topics_, list_topics_, count_after_, get_marker_, previous_in_topic_, set_marker_, insert_mention_,
      trim_mentions_, count_mentions_;
};

// ---------------------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::string path, backend::Bus& bus, SqliteStoreOptions options)
    : impl_(std::make_unique<Impl>(path, bus, options)) {
  // The writer has created and migrated the file by now, in WAL mode, which readers need.
  if (options.readers > 0 && !path.empty() && path != ":memory:") {
    readers_ = std::make_unique<SqliteReaders>(path, options.readers, options.bulk_readers, options.busy_timeout_ms);
  }
}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::close() {
  if (readers_) readers_->close();
  impl_->close();
}

int SqliteStore::schema_version() { return schema::kVersion; }

void SqliteStore::create_room(Room room, Callback<Room> done) {
  impl_->submit<Room>(true, std::move(done), [room = std::move(room)](Impl& impl) { return impl.create_room(room); });
}

void SqliteStore::update_room(Room room, Callback<Room> done) {
  impl_->submit<Room>(true, std::move(done), [room = std::move(room)](Impl& impl) { return impl.update_room(room); });
}

void SqliteStore::delete_messages_before(std::string room, std::int64_t ts, int limit,
                                         Callback<std::int64_t> done) {
  impl_->submit<std::int64_t>(true, std::move(done), [room = std::move(room), ts, limit](Impl& impl) {
    return impl.delete_messages_before(room, ts, limit);
  });
}

void SqliteStore::get_room(std::string room, Callback<std::optional<Room>> done) {
  impl_->submit<std::optional<Room>>(false, std::move(done),
                                     [room = std::move(room)](Impl& impl) { return impl.get_room(room); });
}

void SqliteStore::list_rooms(Callback<std::vector<Room>> done) {
  impl_->submit<std::vector<Room>>(false, std::move(done), [](Impl& impl) { return impl.list_rooms(); });
}

void SqliteStore::count_rooms(Callback<std::int64_t> done) {
  impl_->submit<std::int64_t>(false, std::move(done), [](Impl& impl) { return impl.count_rooms(); });
}

void SqliteStore::list_rooms_page(std::string after, int limit, Callback<std::vector<Room>> done) {
  impl_->submit<std::vector<Room>>(false, std::move(done), [after = std::move(after), limit](Impl& impl) {
    return impl.list_rooms_page(after, limit);
  });
}

void SqliteStore::append(AppendRequest request, Callback<AppendResult> done) {
  impl_->submit<AppendResult>(true, std::move(done),
                              [request = std::move(request)](Impl& impl) { return impl.append(request); });
}

void SqliteStore::latest(std::string room, int limit, Callback<Page> done, backend::ReadLane lane) {
  if (readers_) return readers_->latest(std::move(room), limit, std::move(done), lane);
  impl_->submit<Page>(false, std::move(done),
                      [room = std::move(room), limit](Impl& impl) { return impl.latest(room, limit); });
}

void SqliteStore::after(std::string room, std::int64_t after_seq, int limit, Callback<Page> done, backend::ReadLane lane) {
  if (readers_) return readers_->after(std::move(room), after_seq, limit, std::move(done), lane);
  impl_->submit<Page>(false, std::move(done), [room = std::move(room), after_seq, limit](Impl& impl) {
    return impl.after(room, after_seq, limit);
  });
}

void SqliteStore::before(std::string room, std::int64_t before_seq, int limit, Callback<Page> done, backend::ReadLane lane) {
  if (readers_) return readers_->before(std::move(room), before_seq, limit, std::move(done), lane);
  impl_->submit<Page>(false, std::move(done), [room = std::move(room), before_seq, limit](Impl& impl) {
    return impl.before(room, before_seq, limit);
  });
}

void SqliteStore::load_state(std::string room, Callback<RoomState> done) {
  impl_->submit<RoomState>(false, std::move(done),
                           [room = std::move(room)](Impl& impl) { return impl.load_state(room); });
}

void SqliteStore::save_state(std::string room, std::int64_t expected_version, std::string json,
                             Callback<bool> done) {
  impl_->submit<bool>(true, std::move(done),
                      [room = std::move(room), expected_version, json = std::move(json)](Impl& impl) {
                        return impl.save_state(room, expected_version, json);
                      });
}

void SqliteStore::change_message(backend::ChangeRequest request, Callback<backend::ChangeResult> done) {
  impl_->submit<backend::ChangeResult>(true, std::move(done), [request = std::move(request)](Impl& impl) {
    return impl.changes().change(request);
  });
}

void SqliteStore::changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                                Callback<backend::ChangePage> done) {
  impl_->submit<backend::ChangePage>(false, std::move(done), [room = std::move(room), since, limit](Impl& impl) {
    return impl.changes().since(room, since, limit);
  });
}

void SqliteStore::search(backend::SearchRequest request, Callback<backend::SearchPage> done) {
  impl_->submit<backend::SearchPage>(false, std::move(done), [request = std::move(request)](Impl& impl) {
    return impl.changes().search(request);
  });
}

std::int64_t SqliteStore::messages_stored() const { return impl_->messages_stored(); }

}  // namespace outloud::embedded

namespace outloud::embedded {

void SqliteStore::topic_page(std::string room, std::string topic, std::optional<std::int64_t> before,
                             std::optional<std::int64_t> after, int limit, Callback<Page> done) {
  impl_->submit<Page>(false, std::move(done), [room = std::move(room), topic = std::move(topic), before, after,
                                              limit](Impl& impl) { return impl.topic_page(room, topic, before, after, limit); });
}

void SqliteStore::list_topics(std::string room, std::string user, std::int64_t before, int limit,
                              Callback<std::vector<protocol::TopicSummary>> done) {
  impl_->submit<std::vector<protocol::TopicSummary>>(
      false, std::move(done),
      [room = std::move(room), user = std::move(user), before, limit](Impl& impl) {
        return impl.list_topics(room, user, before, limit);
      });
}

void SqliteStore::mark_read(std::string user, std::string room, std::string topic, std::int64_t seq,
                            Callback<std::int64_t> done) {
  impl_->submit<std::int64_t>(true, std::move(done),
                              [user = std::move(user), room = std::move(room), topic = std::move(topic),
                               seq](Impl& impl) { return impl.mark_read(user, room, topic, seq); });
}

void SqliteStore::read_progress(std::string user, std::vector<std::string> rooms,
                                Callback<std::vector<backend::RoomProgress>> done) {
  impl_->submit<std::vector<backend::RoomProgress>>(
      false, std::move(done),
      [user = std::move(user), rooms = std::move(rooms)](Impl& impl) { return impl.read_progress(user, rooms); });
}

void SqliteStore::note_mentions(std::string room, std::int64_t seq, std::vector<std::string> users,
                                Callback<backend::Unit> done) {
  impl_->submit<backend::Unit>(true, std::move(done),
                               [room = std::move(room), seq, users = std::move(users)](Impl& impl) {
                                 return impl.note_mentions(room, seq, users);
                               });
}

}  // namespace outloud::embedded
