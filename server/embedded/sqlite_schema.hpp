// The SQLite schema, as an ordered list of migrations. Migration i takes PRAGMA user_version
// from i to i + 1; append new ones, never edit a released one.
#pragma once

#include <array>

namespace outloud::embedded::schema {

inline constexpr std::array kMigrations = {
    // 1: rooms, messages keyed by (room, seq), nonce lookup, facilitation state.
    R"sql(
CREATE TABLE rooms (
  id         TEXT PRIMARY KEY NOT NULL,
  title      TEXT NOT NULL,
  kind       TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  parent     TEXT
);
CREATE TABLE messages (
  room      TEXT NOT NULL REFERENCES rooms(id),
  seq       INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  user_id   TEXT NOT NULL,
  user_name TEXT NOT NULL,
  user_org  TEXT NOT NULL,
  topic     TEXT NOT NULL,
  text      TEXT NOT NULL,
  tag       TEXT,
  reply_to  INTEGER,
  nonce     TEXT,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE INDEX messages_by_nonce ON messages(room, user_id, nonce) WHERE nonce IS NOT NULL;
-- No foreign key: the state is opaque to the store and may be saved before or without a room row.
CREATE TABLE room_state (
  room    TEXT PRIMARY KEY NOT NULL,
  version INTEGER NOT NULL,
  json    TEXT NOT NULL
);
)sql",
    // 2: access.md: a room's organisation, visibility, label and retention; guests' messages; and how
    // far retention has deleted, so a room's seq never goes back when its last messages are deleted.
    R"sql(
ALTER TABLE rooms ADD COLUMN org TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN visibility TEXT NOT NULL DEFAULT 'open';
ALTER TABLE rooms ADD COLUMN label TEXT NOT NULL DEFAULT 'OFFICIAL';
ALTER TABLE rooms ADD COLUMN retention_days INTEGER;
ALTER TABLE rooms ADD COLUMN deleted_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN user_guest INTEGER NOT NULL DEFAULT 0;
)sql",
};

inline constexpr int kVersion = static_cast<int>(kMigrations.size());

inline constexpr const char* kMessageColumns =
    "room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest";
inline constexpr const char* kRoomColumns =
    "id, title, kind, created_by, created_at, parent, org, visibility, label, retention_days";

// The first message with this nonce within the window. INDEXED BY: without statistics the planner
// prefers the primary key (a scan of the whole room); the index ends with seq, so no sort is needed.
inline constexpr const char* kFindNonce =
    "SELECT room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest "
    "FROM messages INDEXED BY messages_by_nonce "
    "WHERE room = ?1 AND user_id = ?2 AND nonce = ?3 AND ts >= ?4 ORDER BY seq LIMIT 1";

}  // namespace outloud::embedded::schema
