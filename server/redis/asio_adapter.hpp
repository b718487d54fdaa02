// hiredis ⇄ Boost.Asio: the event hooks of a redisAsyncContext drive async_wait on a
// posix::stream_descriptor watching the context's socket, as hiredis' adapters/*.h do for other
// loops. Every hook and every handler runs on the one executor given to attach (a strand), which is
// also the only place the context may be used from.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace outloud::redis {

class AsioEvents : public std::enable_shared_from_this<AsioEvents> {
 public:
  // Installs the hooks on `context`. REDIS_ERR if something is attached already. `on_readable`, if
  // given, runs each time the socket has something to read, before hiredis reads it.
  static int attach(redisAsyncContext* context, boost::asio::any_io_executor executor,
                    std::function<void()> on_readable = nullptr) {
    if (context->ev.data != nullptr) return REDIS_ERR;
    auto events = std::shared_ptr<AsioEvents>(new AsioEvents(context, std::move(executor)));
    events->on_readable_ = std::move(on_readable);
    // hiredis holds a raw pointer; the object keeps itself alive until cleanup.
    events->self_ = events;
    context->ev.data = events.get();
    context->ev.addRead = &AsioEvents::add_read;
    context->ev.delRead = &AsioEvents::del_read;
    context->ev.addWrite = &AsioEvents::add_write;
    context->ev.delWrite = &AsioEvents::del_write;
    context->ev.cleanup = &AsioEvents::cleanup;
    // A non-blocking connect completes with writability; hiredis learns of it in HandleWrite.
    add_write(events.get());
    return REDIS_OK;
  }

 private:
  AsioEvents(redisAsyncContext* context, boost::asio::any_io_executor executor)
      : context_(context), descriptor_(std::move(executor), context->c.fd) {}

  // Idempotent: a wait already in flight serves a repeated add; a del only stops acting on it
  // (cancelling one direction alone is not possible on a descriptor, and a stale wakeup is harmless).
  static void add_read(void* data) { static_cast<AsioEvents*>(data)->arm(Direction::read); }
  static void del_read(void* data) { static_cast<AsioEvents*>(data)->want_read_ = false; }
  static void add_write(void* data) { static_cast<AsioEvents*>(data)->arm(Direction::write); }
  static void del_write(void* data) { static_cast<AsioEvents*>(data)->want_write_ = false; }

  // hiredis is freeing the context and will close the fd itself: give it back, abort the waits.
  static void cleanup(void* data) {
    auto* events = static_cast<AsioEvents*>(data);
    events->context_ = nullptr;
    events->want_read_ = events->want_write_ = false;
    if (events->descriptor_.is_open()) events->descriptor_.release();
    events->self_.reset();  // pending handlers still hold their own references
  }

  enum class Direction { read, write };

  void arm(Direction direction) {
    bool& wanted = direction == Direction::read ? want_read_ : want_write_;
    bool& waiting = direction == Direction::read ? read_waiting_ : write_waiting_;
    wanted = true;
    if (waiting || context_ == nullptr) return;
    waiting = true;
    auto wait = direction == Direction::read ? boost::asio::posix::stream_descriptor::wait_read
                                             : boost::asio::posix::stream_descriptor::wait_write;
    descriptor_.async_wait(wait, [self = shared_from_this(), direction](const boost::system::error_code& error) {
      self->on_ready(direction, error);
    });
  }

  void on_ready(Direction direction, const boost::system::error_code& error) {
    bool& wanted = direction == Direction::read ? want_read_ : want_write_;
    bool& waiting = direction == Direction::read ? read_waiting_ : write_waiting_;
    waiting = false;
    if (context_ == nullptr || error == boost::asio::error::operation_aborted) return;
    if (!wanted) return;
    // Persistent, like libuv's poll: the event stays wanted until hiredis deletes it. hiredis may
    // free the context inside these calls (cleanup then clears context_).
    if (direction == Direction::read) {
      if (on_readable_) on_readable_();
      redisAsyncHandleRead(context_);
    } else {
      redisAsyncHandleWrite(context_);
    }
    if (context_ != nullptr && wanted && !waiting) arm(direction);
  }

  redisAsyncContext* context_;
  boost::asio::posix::stream_descriptor descriptor_;
  std::shared_ptr<AsioEvents> self_;
  std::function<void()> on_readable_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
};

// hiredis-style entry point, like redisLibeventAttach.
inline int redisAsioAttach(redisAsyncContext* context, boost::asio::any_io_executor executor,
                           std::function<void()> on_readable = nullptr) {
  return AsioEvents::attach(context, std::move(executor), std::move(on_readable));
}

}  // namespace outloud::redis
