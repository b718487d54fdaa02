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
    // 3: topics as threads: a topic index of messages, each room's topics with their count and last
    // activity (kept by append and retention), people's read markers, and archived breakout groups.
    R"sql(
ALTER TABLE rooms ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_by_topic ON messages(room, topic, seq);
CREATE TABLE topics (
  room     TEXT NOT NULL,
  topic    TEXT NOT NULL,
  count    INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_ts  INTEGER NOT NULL,
  PRIMARY KEY (room, topic)
) WITHOUT ROWID;
CREATE INDEX topics_by_activity ON topics(room, last_seq);
INSERT INTO topics(room, topic, count, last_seq, last_ts)
  SELECT room, topic, COUNT(*), MAX(seq), MAX(ts) FROM messages GROUP BY room, topic;
CREATE TABLE read_markers (
  user_id TEXT NOT NULL,
  room    TEXT NOT NULL,
  topic   TEXT NOT NULL,  -- '' for the whole room
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, room, topic)
) WITHOUT ROWID;
)sql",
};

inline constexpr int kVersion = static_cast<int>(kMigrations.size());

inline constexpr const char* kMessageColumns =
    "room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest";
inline constexpr const char* kRoomColumns =
    "id, title, kind, created_by, created_at, parent, org, visibility, label, retention_days, archived";

// The first message with this nonce within the window. INDEXED BY: without statistics the planner
// prefers the primary key (a scan of the whole room); the index ends with seq, so no sort is needed.
inline constexpr const char* kFindNonce =
    "SELECT room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest "
    "FROM messages INDEXED BY messages_by_nonce "
    "WHERE room = ?1 AND user_id = ?2 AND nonce = ?3 AND ts >= ?4 ORDER BY seq LIMIT 1";

}  // namespace outloud::embedded::schema
