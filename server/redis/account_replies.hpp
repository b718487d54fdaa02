// Reading the answers of the accounts scripts that return records as {id, fields}.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "server/backend/result.hpp"
#include "server/core/log.hpp"
#include "server/redis/reply.hpp"

namespace outloud::redis {

// {id, fields} as the lookup scripts answer; {} for none.
template <class T, class Decode>
backend::Result<std::optional<T>> record_answer(const Reply& reply, Decode decode, const char* what) {
  const auto& e = reply.elements;
  if (e.empty()) return std::optional<T>();
  auto record = e.size() == 2 ? decode(e[0].str, e[1]) : std::nullopt;
  if (!record) return backend::internal_error(what);
  return std::optional<T>(std::move(record));
}

// A list of {id, fields}: unreadable records are left out (and logged).
template <class T, class Decode>
std::vector<T> record_list(const Reply& reply, Decode decode, const char* what) {
  std::vector<T> out;
  out.reserve(reply.elements.size());
  for (const auto& pair : reply.elements) {
    auto record = pair.elements.size() == 2 ? decode(pair.elements[0].str, pair.elements[1]) : std::nullopt;
    if (record) {
      out.push_back(std::move(*record));
    } else {
      log::error("redis: %s skipped", what);
    }
  }
  return out;
}

// Newest first, ties by id (as SQLite's ORDER BY created_at DESC, id), at most `limit`: the list
// scripts answer the ties at the cut too, so this cut is the same as SQLite's.
template <class T>
void newest_first(std::vector<T>& records, int limit) {
  std::sort(records.begin(), records.end(), [](const T& a, const T& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id < b.id;
  });
  const auto keep = static_cast<std::size_t>(std::max(limit, 0));
  if (records.size() > keep) records.resize(keep);
}

}  // namespace outloud::redis
