// Every open WebSocket session of the process, so that shutdown can close them all.
// Holds weak references only: a session's lifetime is its own.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/core/connection.hpp"

namespace outloud::net {

class SessionRegistry {
 public:
  // False once close_all() was called: the caller must close the connection itself.
  bool add(const std::shared_ptr<core::Connection>& connection);
  void remove(std::uint64_t connection_id);
  std::size_t size() const;
  // Closes every registered connection (and refuses later ones). Copies the references under the
  // lock and calls close() outside it, so a session calling back into the registry cannot deadlock.
  void close_all(std::uint16_t code, const std::string& reason);

 private:
  mutable std::mutex mutex_;
  bool closing_ = false;
  std::unordered_map<std::uint64_t, std::weak_ptr<core::Connection>> sessions_;
};

}  // namespace outloud::net
