// Reading one room's messages: the row decoder and the statements shared by the store's writer
// connection and the read-only connections of its reader pool (sqlite_readers.hpp).
#pragma once

#include <string>

#include "outloud/protocol/types.hpp"
#include "server/embedded/sqlite_schema.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded::pages {

// A row of `SELECT kMessageColumns`.
inline protocol::Message read_message(const sqlite::Use& row) {
  protocol::Message m;
  m.room = row.text(0);
  m.seq = row.int64(1);
  m.ts = row.int64(2);
  m.from = {row.text(3), row.text(4), row.text(5)};
  m.topic = row.text(6);
  m.text = row.text(7);
  if (auto tag = row.optional_text(8)) m.tag = protocol::tag_from(*tag);
  m.reply_to = row.optional_int64(9);
  m.nonce = row.optional_text(10);
  m.from.guest = row.int64(11) != 0;
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
