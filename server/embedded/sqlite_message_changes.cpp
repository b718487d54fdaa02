#include "server/embedded/sqlite_message_changes.hpp"

#include <limits>

#include "server/embedded/sqlite_schema.hpp"

namespace outloud::embedded {

using backend::ChangeKind;
using backend::Error;
using protocol::ErrorCode;
using protocol::Message;
using pages::read_message;

namespace {

// OUTLOUD_SQLITE_MESSAGE_COLUMNS of the table aliased `m`.
std::string qualified_message_columns() {
  std::string out;
  std::string_view columns = schema::kMessageColumns;
  while (!columns.empty()) {
    const auto comma = columns.find(',');
    auto name = columns.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    out += (out.empty() ? "m." : ", m.") + std::string(name);
    columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 1);
  }
  return out;
}

const char kHex[] = "0123456789ABCDEF";

}  // namespace

std::string fts_query(const std::string& room, const std::vector<std::string>& terms) {
  std::string query = "room_key : \"";
  for (unsigned char c : room) {
    query += kHex[c >> 4];
    query += kHex[c & 15];
  }
  query += "\"";
  for (const auto& term : terms) {
    query += " AND text : \"";
    for (char c : term) {
      if (c == '"') query += '"';  // a quote inside an FTS5 string is doubled
      query += c;
    }
    query += "\"";
  }
  return query;
}

SqliteMessageChanges::SqliteMessageChanges(sqlite3* db) : db_(db) {
  const std::string columns = schema::kMessageColumns;
  room_version_ = sqlite::Statement(db, "SELECT change_version FROM rooms WHERE id = ?1");
  bump_version_ = sqlite::Statement(db,
      "UPDATE rooms SET change_version = change_version + 1 WHERE id = ?1 RETURNING change_version");
  select_message_ = sqlite::Statement(db, ("SELECT " + columns + " FROM messages WHERE room = ?1 AND seq = ?2").c_str());
  edit_ = sqlite::Statement(db,
      "UPDATE messages SET text = ?3, edited_at = ?4, change_version = ?5 WHERE room = ?1 AND seq = ?2");
  erase_ = sqlite::Statement(db,
      "UPDATE messages SET text = '', deleted_at = ?3, deleted_by_id = ?4, deleted_by_name = ?5, "
      "deleted_by_org = ?6, removal_reason = ?7, change_version = ?8 WHERE room = ?1 AND seq = ?2");
  changed_after_ = sqlite::Statement(db,
      ("SELECT " + columns + ", change_version FROM messages INDEXED BY messages_by_change "
       "WHERE room = ?1 AND change_version > ?2 ORDER BY change_version LIMIT ?3").c_str());
  // The first search row at or after `before`: rows of a room are numbered in seq order.
  search_start_ = sqlite::Statement(db,
      "SELECT id FROM message_search_rows WHERE room = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1");
  search_ = sqlite::Statement(db,
      ("SELECT " + qualified_message_columns() + " FROM message_search s "
       "JOIN message_search_rows r ON r.id = s.rowid JOIN messages m ON m.room = r.room AND m.seq = r.seq "
       "WHERE message_search MATCH ?1 AND s.rowid < ?2 AND r.room = ?3 AND m.deleted_at IS NULL "
       "ORDER BY s.rowid DESC LIMIT ?4").c_str());
}

std::optional<Message> SqliteMessageChanges::find(const std::string& room, std::int64_t seq) {
  sqlite::Use select(select_message_);
  select.bind(1, room).bind(2, seq);
  if (!select.step()) return std::nullopt;
  return read_message(select);
}

backend::Result<backend::ChangeResult> SqliteMessageChanges::change(const backend::ChangeRequest& request) {
  auto message = find(request.room, request.seq);
  if (!message) {
    return Error{ErrorCode::not_found, "no message " + std::to_string(request.seq) + " in room " + request.room};
  }
  if (message->deleted) return Error{ErrorCode::conflict, "message " + std::to_string(request.seq) + " was deleted"};
  if (request.kind != ChangeKind::remove && message->from.id != request.by.id) {
    return Error{ErrorCode::forbidden, "only its author may edit or delete a message"};
  }
  std::int64_t version = 0;
  {
    sqlite::Use bump(bump_version_);
    bump.bind(1, request.room);
    if (!bump.step()) return Error{ErrorCode::not_found, "no such room: " + request.room};
    version = bump.int64(0);
  }
  if (request.kind == ChangeKind::edit) {
    sqlite::Use edit(edit_);
    edit.bind(1, request.room).bind(2, request.seq).bind(3, request.text).bind(4, request.ts).bind(5, version).run();
  } else {
    std::optional<std::string> reason;
    if (request.kind == ChangeKind::remove) reason = request.reason;
    sqlite::Use erase(erase_);
    erase.bind(1, request.room).bind(2, request.seq).bind(3, request.ts).bind(4, request.by.id);
    erase.bind(5, request.by.name).bind(6, request.by.org).bind(7, reason).bind(8, version).run();
  }
  auto changed = find(request.room, request.seq);
  if (!changed) return backend::internal_error("the changed message vanished");
  return backend::ChangeResult{std::move(*changed), version};
}

backend::Result<backend::ChangePage> SqliteMessageChanges::since(const std::string& room,
                                                                  std::optional<std::int64_t> since, int limit) {
  backend::ChangePage page;
  {
    sqlite::Use current(room_version_);
    current.bind(1, room);
    if (!current.step()) return Error{ErrorCode::not_found, "no such room: " + room};
    page.version = current.int64(0);
  }
  if (!since || limit <= 0) return page;
  const int columns = 18;
  sqlite::Use select(changed_after_);
  select.bind(1, room).bind(2, *since).bind(3, std::int64_t{limit} + 1);
  std::int64_t last = *since;
  while (select.step()) {
    if (static_cast<int>(page.messages.size()) == limit) {
      page.more = true;
      break;
    }
    page.messages.push_back(read_message(select));
    last = select.int64(columns);
    page.versions.push_back(last);
  }
  if (page.more || !page.messages.empty()) page.version = last;
  return page;
}

backend::Result<backend::SearchPage> SqliteMessageChanges::search(const backend::SearchRequest& request) {
  backend::SearchPage page;
  std::int64_t start = std::numeric_limits<std::int64_t>::max();
  if (request.before) {
    sqlite::Use first(search_start_);
    first.bind(1, request.room).bind(2, *request.before);
    if (first.step()) start = first.int64(0);
  }
  sqlite::Use select(search_);
  select.bind(1, fts_query(request.room, request.terms)).bind(2, start).bind(3, request.room);
  select.bind(4, std::int64_t{request.limit} + 1);
  while (select.step()) {
    if (static_cast<int>(page.messages.size()) == request.limit) {
      page.next = page.messages.back().seq;
      break;
    }
    page.messages.push_back(read_message(select));
  }
  return page;
}

}  // namespace outloud::embedded
