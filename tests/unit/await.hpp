// Test helpers: turn a backend call that answers through a Callback<T> into a blocking wait with a
// timeout. A call that never answers, or answers twice, fails the test instead of hanging it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "server/backend/result.hpp"

namespace outloud::testing {

inline constexpr std::chrono::milliseconds kAwaitTimeout{10000};

// One pending answer: `callback()` is handed to the backend, `get()` waits for it.
template <class T>
class Pending {
 public:
  Pending() : state_(std::make_shared<State>()) { future_ = state_->promise.get_future(); }

  backend::Callback<T> callback() const {
    return [state = state_](backend::Result<T> result) {
      if (state->answered.exchange(true)) {
        state->answered_twice = true;
        return;
      }
      state->promise.set_value(std::move(result));
    };
  }

  backend::Result<T> get(std::chrono::milliseconds timeout = kAwaitTimeout) {
    if (future_.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("backend callback not called within " + std::to_string(timeout.count()) + " ms");
    }
    auto result = future_.get();
    if (state_->answered_twice) throw std::runtime_error("backend callback called twice");
    return result;
  }

  bool answered_twice() const { return state_->answered_twice; }

 private:
  struct State {
    std::promise<backend::Result<T>> promise;
    std::atomic<bool> answered{false};
    std::atomic<bool> answered_twice{false};
  };
  std::shared_ptr<State> state_;
  std::future<backend::Result<T>> future_;
};

// await<T>([&](auto done) { store.get_room("x", done); }) -> Result<T>
template <class T, class Start>
backend::Result<T> await(Start&& start, std::chrono::milliseconds timeout = kAwaitTimeout) {
  Pending<T> pending;
  start(pending.callback());
  return pending.get(timeout);
}

// Like await, for calls expected to succeed: returns the value, throws with the error text otherwise.
template <class T, class Start>
T await_value(Start&& start, std::chrono::milliseconds timeout = kAwaitTimeout) {
  auto result = await<T>(std::forward<Start>(start), timeout);
  if (!result.ok()) {
    throw std::runtime_error("backend call failed: " + std::string(protocol::to_string(result.error().code)) + ": " +
                             result.error().message);
  }
  return std::move(result.value());
}

// Counts answers from many concurrent calls and waits until `expected` have arrived.
class Countdown {
 public:
  explicit Countdown(std::size_t expected) : remaining_(expected) {}
  void arrive() {
    std::lock_guard lock(mutex_);
    if (remaining_ > 0 && --remaining_ == 0) done_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = kAwaitTimeout) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, timeout, [this] { return remaining_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t remaining_;
};

}  // namespace outloud::testing
