// A thin RAII layer over the SQLite C API: the connection, prepared statements that are reused
// (reset after every use), and an exception for failures that must abort the current transaction.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace outloud::embedded::sqlite {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

inline void check(sqlite3* db, int rc, std::string_view context) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    throw Error(rc, std::string(context) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
}

inline void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw Error(rc, std::string("exec `") + sql + "`: " + text);
  }
}

// A prepared statement, kept for the life of the connection.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const char* sql) : db_(db) {
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr), sql);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept { swap(other); }
  Statement& operator=(Statement&& other) noexcept {
    swap(other);
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }

  sqlite3_stmt* get() const { return stmt_; }

 private:
  void swap(Statement& other) noexcept {
    std::swap(db_, other.db_);
    std::swap(stmt_, other.stmt_);
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a prepared statement: binds by position (1-based), steps, reads columns (0-based),
// and resets the statement when it goes out of scope so it can be reused.
class Use {
 public:
  explicit Use(Statement& statement) : stmt_(statement.get()) {}
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  ~Use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  Use& bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Use& bind(int index, std::string_view value) {
    check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Use& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Use& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  template <class T>
  Use& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
  }

  // True while there is a row to read; throws on failure.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3* db = sqlite3_db_handle(stmt_);
    throw Error(rc, std::string(sqlite3_sql(stmt_)) + ": " + sqlite3_errmsg(db));
  }
  void run() {
    while (step()) {
    }
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
  }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }

 private:
  void check_bind(int rc) {
    if (rc != SQLITE_OK) throw Error(rc, std::string("bind: ") + sqlite3_errstr(rc));
  }
  sqlite3_stmt* stmt_;
};

}  // namespace outloud::embedded::sqlite
