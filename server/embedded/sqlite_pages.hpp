// Reading one room's messages: the row decoder and the statements shared by the store's writer
// connection and the read-only connections of its reader pool (sqlite_readers.hpp).
#pragma once

#include <string>

#include "outloud/protocol/types.hpp"
#include "server/embedded/sqlite_schema.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded::pages {

// One row of `SELECT kMessageColumns` (OUTLOUD_SQLITE_MESSAGE_COLUMNS), starting at column `first`.
inline protocol::Message read_message(const sqlite::Use& row, int first = 0) {
  const int c = first;
  protocol::Message m;
  m.room = row.text(c + 0);
  m.seq = row.int64(c + 1);
  m.ts = row.int64(c + 2);
  m.from = {row.text(c + 3), row.text(c + 4), row.text(c + 5)};
  m.topic = row.text(c + 6);
  m.text = row.text(c + 7);
  if (auto tag = row.optional_text(c + 8)) m.tag = protocol::tag_from(*tag);
  m.reply_to = row.optional_int64(c + 9);
  m.nonce = row.optional_text(c + 10);
  m.from.guest = row.int64(c + 11) != 0;
  m.edited_at = row.optional_int64(c + 12);
  if (auto deleted_at = row.optional_int64(c + 13)) {
    protocol::Deletion deletion;
    deletion.at = *deleted_at;
    deletion.by = {row.text(c + 14), row.text(c + 15), row.text(c + 16)};
    deletion.by.guest = deletion.by.id == m.from.id && m.from.guest;  // a guest never removes others'
    deletion.reason = row.optional_text(c + 17);
    m.deleted = std::move(deletion);
  }
  return m;
}

inline std::string select_messages(const char* where_and_order) {
  return std::string("SELECT ") + schema::kMessageColumns + " FROM messages WHERE " + where_and_order;
}

// ?1 room, ?2 limit: the newest first. ?1 room, ?2 seq, ?3 limit: ascending (after), newest first (before).
inline std::string latest_sql() { return select_messages("room = ?1 ORDER BY seq DESC LIMIT ?2"); }
inline std::string after_sql() { return select_messages("room = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"); }
inline std::string before_sql() { return select_messages("room = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"); }

inline constexpr const char* kRoomExists = "SELECT 1 FROM rooms WHERE id = ?1";
// The room's last seq. Retention may have deleted the newest messages: the seq goes on from what
// was deleted.
inline constexpr const char* kLastSeq =
    "SELECT max(COALESCE((SELECT MAX(seq) FROM messages WHERE room = ?1), 0), "
    "(SELECT deleted_through FROM rooms WHERE id = ?1))";

}  // namespace outloud::embedded::pages
