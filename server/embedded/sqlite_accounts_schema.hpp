// The account tables (access.md). They share the message store's file but not its migrations:
// their own version lives in account_schema, so either side can move on alone. Append new
// migrations; never edit a released one.
#pragma once

#include <array>

namespace outloud::embedded::account_schema {

inline constexpr std::array kMigrations = {
    // 1: organisations, people, sessions, invitations, codes, memberships, audit.
    R"sql(
CREATE TABLE orgs (
  id   TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL
);
CREATE TABLE org_domains (
  domain TEXT PRIMARY KEY NOT NULL,
  org    TEXT NOT NULL REFERENCES orgs(id)
);
CREATE INDEX org_domains_by_org ON org_domains(org);
CREATE TABLE accounts (
  id         TEXT PRIMARY KEY NOT NULL,
  name       TEXT NOT NULL,
  org        TEXT NOT NULL,
  guest      INTEGER NOT NULL,
  email      TEXT UNIQUE,
  admin      INTEGER NOT NULL,
  org_admin  INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX accounts_by_admin ON accounts(admin) WHERE admin = 1;
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  user_id    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used  INTEGER NOT NULL,
  revoked    INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id, created_at);
CREATE TABLE invitations (
  id         TEXT PRIMARY KEY NOT NULL,
  code_hash  TEXT NOT NULL UNIQUE,
  org        TEXT NOT NULL,
  room       TEXT,
  role       TEXT NOT NULL,
  guest      INTEGER NOT NULL,
  uses_left  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked    INTEGER NOT NULL
);
CREATE INDEX invitations_by_created ON invitations(created_at);
CREATE TABLE sign_in_codes (
  code_hash  TEXT PRIMARY KEY NOT NULL,
  email      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE setup_code (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  code_hash TEXT NOT NULL
);
CREATE TABLE memberships (
  room    TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role    TEXT NOT NULL,
  sponsor TEXT,
  reason  TEXT,
  since   INTEGER NOT NULL,
  PRIMARY KEY (room, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id);
CREATE TABLE audit (
  ts          INTEGER PRIMARY KEY NOT NULL,
  actor_id    TEXT,
  actor_name  TEXT,
  actor_org   TEXT,
  actor_guest INTEGER,
  action      TEXT NOT NULL,
  target      TEXT NOT NULL,
  detail      TEXT NOT NULL
);
)sql",
    // 2: many setup codes. Every start before setup adds its own, and the links printed earlier
    // keep working; the first one used deletes them all and marks the setup done, so a start that
    // raced it adds none.
    R"sql(
CREATE TABLE setup_codes (
  code_hash TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
CREATE TABLE setup_done (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1)
);
INSERT INTO setup_codes(code_hash) SELECT code_hash FROM setup_code;
DROP TABLE setup_code;
)sql",
    // 3: sessions lapse when unused (--session-days): the sweep finds the oldest by this index.
    R"sql(
CREATE INDEX sessions_by_last_used ON sessions(last_used);
)sql",
};

inline constexpr int kVersion = static_cast<int>(kMigrations.size());

}  // namespace outloud::embedded::account_schema
