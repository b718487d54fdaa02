// The outcome of an asynchronous backend call: a value or an error with a protocol error code.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <variant>

#include "outloud/protocol/types.hpp"

namespace outloud::backend {

struct Error {
  protocol::ErrorCode code = protocol::ErrorCode::internal;
  std::string message;
};

struct Unit {};

template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Backend callbacks may run on any thread (a store thread, the Redis I/O thread); the caller
// posts them to its own executor.
template <class T>
using Callback = std::function<void(Result<T>)>;

inline Error unavailable(std::string message) { return {protocol::ErrorCode::unavailable, std::move(message)}; }
inline Error internal_error(std::string message) { return {protocol::ErrorCode::internal, std::move(message)}; }

}  // namespace outloud::backend
