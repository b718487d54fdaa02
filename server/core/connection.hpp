// What the domain knows of a client connection: it can be sent shared frames and closed.
// Implemented by the WebSocket session, and by a fake in unit tests.
#pragma once

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
  // Thread-safe: sends a close frame with this code after what is queued, then closes.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Unique within this process for its lifetime.
  virtual std::uint64_t id() const = 0;
  // accounts mode: the session token of the `outloud_session` cookie the upgrade request carried.
  virtual std::optional<std::string> upgrade_token() const { return std::nullopt; }
};

inline Frame make_frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

}  // namespace outloud::core
