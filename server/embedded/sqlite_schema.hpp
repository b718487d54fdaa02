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
    // 3: edits, deletions and removals with a per-room change version (clients catch up with
    // `changes`), and full-text search. messages has no rowid, so message_search_rows gives each
    // message one (increasing with seq within a room); the FTS5 index is an external-content table
    // over a view of it, kept in step by triggers (appends, edits, deletions, retention). room_key
    // (the room id in hex: one token) lets a query stay inside its room.
    R"sql(
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_by_id TEXT;
ALTER TABLE messages ADD COLUMN deleted_by_name TEXT;
ALTER TABLE messages ADD COLUMN deleted_by_org TEXT;
ALTER TABLE messages ADD COLUMN removal_reason TEXT;
ALTER TABLE messages ADD COLUMN change_version INTEGER;
CREATE INDEX messages_by_change ON messages(room, change_version) WHERE change_version IS NOT NULL;
ALTER TABLE rooms ADD COLUMN change_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE message_search_rows (
  id   INTEGER PRIMARY KEY,
  room TEXT NOT NULL,
  seq  INTEGER NOT NULL,
  UNIQUE (room, seq)
);
CREATE VIEW message_search_source AS
  SELECT r.id AS id, m.text AS text, hex(r.room) AS room_key
  FROM message_search_rows r JOIN messages m ON m.room = r.room AND m.seq = r.seq;
CREATE VIRTUAL TABLE message_search USING fts5(text, room_key, content='message_search_source',
  content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
  INSERT INTO message_search_rows(room, seq) VALUES (new.room, new.seq);
  INSERT INTO message_search(rowid, text, room_key) VALUES (last_insert_rowid(), new.text, hex(new.room));
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO message_search(message_search, rowid, text, room_key)
    SELECT 'delete', id, old.text, hex(old.room) FROM message_search_rows WHERE room = old.room AND seq = old.seq;
  INSERT INTO message_search(rowid, text, room_key)
    SELECT id, new.text, hex(new.room) FROM message_search_rows WHERE room = new.room AND seq = new.seq;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
  INSERT INTO message_search(message_search, rowid, text, room_key)
    SELECT 'delete', id, old.text, hex(old.room) FROM message_search_rows WHERE room = old.room AND seq = old.seq;
  DELETE FROM message_search_rows WHERE room = old.room AND seq = old.seq;
END;
INSERT INTO message_search_rows(room, seq) SELECT room, seq FROM messages ORDER BY room, seq;
INSERT INTO message_search(message_search) VALUES ('rebuild');
)sql",
    // 4: topics as threads: a topic index of messages, each room's topics with their count and last
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
    // 5: mentions kept per person (the newest kMentionsKept per room), so that someone who was away
    // learns from `rooms` how many messages named them; forgotten with their message (retention).
    R"sql(
CREATE TABLE mentions (
  user_id TEXT NOT NULL,
  room    TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, room, seq)
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions(room, seq);
CREATE TRIGGER mentions_forget AFTER DELETE ON messages BEGIN
  DELETE FROM mentions WHERE room = old.room AND seq = old.seq;
END;
)sql",
};

inline constexpr int kVersion = static_cast<int>(kMigrations.size());

// What an append writes; kMessageColumns adds what edits and deletions change (read_message).
inline constexpr const char* kInsertMessageColumns =
    "room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest";
#define OUTLOUD_SQLITE_MESSAGE_COLUMNS                                                              \
  "room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce, user_guest, " \
  "edited_at, deleted_at, deleted_by_id, deleted_by_name, deleted_by_org, removal_reason"
inline constexpr const char* kMessageColumns = OUTLOUD_SQLITE_MESSAGE_COLUMNS;
inline constexpr const char* kRoomColumns =
    "id, title, kind, created_by, created_at, parent, org, visibility, label, retention_days, archived";

// The first message with this nonce within the window. INDEXED BY: without statistics the planner
// prefers the primary key (a scan of the whole room); the index ends with seq, so no sort is needed.
inline constexpr const char* kFindNonce =
    "SELECT " OUTLOUD_SQLITE_MESSAGE_COLUMNS " "
    "FROM messages INDEXED BY messages_by_nonce "
    "WHERE room = ?1 AND user_id = ?2 AND nonce = ?3 AND ts >= ?4 ORDER BY seq LIMIT 1";

}  // namespace outloud::embedded::schema
