// What the domain knows of a client connection: it can be sent shared frames and closed.
// Implemented by the WebSocket session, and by a fake in unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace outloud::core {

using Frame = std::shared_ptr<const std::string>;

class Connection {
 public:
  virtual ~Connection() = default;
  // Thread-safe and never blocks: queues the frame for writing. A connection whose queue
  // exceeds its limit closes itself (slow client).
  virtual void send(Frame frame) = 0;
  // The same for several frames, in order: a connection may queue them at once (one lock, one
  // wake-up of its writer) so that they leave together.
  virtual void send_many(const Frame* frames, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) send(frames[i]);
  }
  // Thread-safe: sends a close frame with this code after what is queued, then closes.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Thread-safe: the connection said a successful `hello` (its hello deadline no longer applies).
  virtual void greeted() {}
  // Unique within this process for its lifetime.
  virtual std::uint64_t id() const = 0;
  // accounts mode: the session token of the `outloud_session` cookie the upgrade request carried.
  virtual std::optional<std::string> upgrade_token() const { return std::nullopt; }
};

inline Frame make_frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

}  // namespace outloud::core
