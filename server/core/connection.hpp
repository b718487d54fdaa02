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

// What frames of `message` events tell the delivery-latency histogram (outloud_delivery_seconds):
// when the oldest message among them was sent (its `ts`: wall clock, ms since the epoch) and how
// many messages each frame carries (1, or a `message_batch`'s count). Other frames carry none.
struct MessageOrigin {
  std::int64_t sent_ms = 0;
  std::uint32_t messages_per_frame = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Thread-safe and never blocks: queues the frame for writing. A connection whose queue
  // exceeds its limit closes itself (slow client).
  virtual void send(Frame frame) = 0;
  // The same for several frames, in order: a connection may queue them at once (one lock, one
  // wake-up of its writer) so that they leave together. `origin`: set when they are messages.
  virtual void send_many(const Frame* frames, std::size_t count, MessageOrigin origin = {}) {
    (void)origin;
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
  // Who is at the other end, as the failed-token limit counts them (the client's address, through
  // a trusted proxy); empty when unknown, which nothing limits.
  virtual std::string client() const { return {}; }
};

inline Frame make_frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

}  // namespace outloud::core
