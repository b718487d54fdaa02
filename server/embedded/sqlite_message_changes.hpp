// Edits, deletions, removals, the per-room change version and full-text search on the SQLite
// store's connection (schema migration 3). Used on the store's worker thread only.
#pragma once

#include <sqlite3.h>

#include "server/backend/store.hpp"
#include "server/embedded/sqlite_pages.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded {

// FTS5 query text that matches `terms` as literal words inside `room`: every term is a quoted
// string, so no user input is read as an operator (AND, NEAR, *, ^, column filters).
std::string fts_query(const std::string& room, const std::vector<std::string>& terms);

class SqliteMessageChanges {
 public:
  explicit SqliteMessageChanges(sqlite3* db);

  backend::Result<backend::ChangeResult> change(const backend::ChangeRequest& request);
  backend::Result<backend::ChangePage> since(const std::string& room, std::optional<std::int64_t> since, int limit);
  backend::Result<backend::SearchPage> search(const backend::SearchRequest& request);

 private:
  std::optional<protocol::Message> find(const std::string& room, std::int64_t seq);

  sqlite3* db_;
  sqlite::Statement room_version_, bump_version_, select_message_, edit_, erase_, changed_after_, search_start_,
      search_;
};

}  // namespace outloud::embedded
