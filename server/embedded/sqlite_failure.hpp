// What a client is told when SQLite fails a request. A full disk (SQLITE_FULL) or a database file
// held by another process past the busy timeout (SQLITE_BUSY, a backup tool) is `unavailable`:
// nothing was written and the same request succeeds later, by itself. Anything else (an I/O error
// of a failing disk, corruption, a bug) stays `internal`: a retry will not mend it.
#pragma once

#include <sqlite3.h>

#include <exception>

#include "server/backend/result.hpp"
#include "server/embedded/sqlite_statement.hpp"

namespace outloud::embedded::sqlite {

inline bool passes_by_itself(int code) {
  const int primary = code & 0xff;  // the connections use extended result codes
  return primary == SQLITE_FULL || primary == SQLITE_BUSY;
}

inline backend::Error failure_of(const std::exception& failure, const char* what) {
  const auto* error = dynamic_cast<const Error*>(&failure);
  if (error != nullptr && passes_by_itself(error->code())) {
    return backend::unavailable(error->code() == SQLITE_FULL ? "the disk is full" : "the database is busy");
  }
  return backend::internal_error(what);
}

}  // namespace outloud::embedded::sqlite
