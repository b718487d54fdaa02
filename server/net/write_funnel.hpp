// The layer under Beast's websocket stream: a plain TCP socket on a concrete strand type (not
// Beast's tcp_stream on a type-erased executor: its timer, its shared state, and the work guards
// every pending operation holds, which are heap allocations for a type-erased strand, cost each
// idle connection about a kilobyte). Reads go straight to TCP. Writes (the handshake
// response, then Beast's own pongs and close frames) go straight to TCP until a sink is attached;
// from then on they go to the sink — the connection's one writer — so they never interleave with
// the writer's gathered writes of hand-framed messages.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace outloud::net {

class WriteSink {
 public:
  using Done = std::function<void(boost::system::error_code, std::size_t)>;
  // `bytes` are whole frames Beast made; `done` is called on the stream's executor once they are
  // written (or failed), never from within this call.
  virtual void write_framed(std::string bytes, Done done) = 0;

 protected:
  ~WriteSink() = default;
};

// The executor of everything a WebSocket connection does: its strand, by its concrete type.
using ConnectionStrand = boost::asio::strand<boost::asio::io_context::executor_type>;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionStrand>;

class WriteFunnel {
 public:
  using next_layer_type = ConnectionSocket;
  using executor_type = next_layer_type::executor_type;

  explicit WriteFunnel(next_layer_type&& stream) : stream_(std::move(stream)) {}

  executor_type get_executor() noexcept { return stream_.get_executor(); }
  next_layer_type& next_layer() noexcept { return stream_; }
  const next_layer_type& next_layer() const noexcept { return stream_; }
  // The sink must outlive this layer's use (the session owns both).
  void attach(WriteSink* sink) { sink_ = sink; }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return stream_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto completion, const ConstBufferSequence& data) {
          if (!sink_) return stream_.async_write_some(data, std::move(completion));
          // Rare (control frames only): the handler is boxed to fit a copyable std::function.
          auto boxed = std::make_shared<std::decay_t<decltype(completion)>>(std::move(completion));
          sink_->write_framed(boost::beast::buffers_to_string(data),
                              [boxed](boost::system::error_code ec, std::size_t n) { (*boxed)(ec, n); });
        },
        handler, buffers);
  }

 private:
  next_layer_type stream_;
  WriteSink* sink_ = nullptr;
};

// Found by Beast through argument-dependent lookup: the closing handshake's TCP teardown.
inline void teardown(boost::beast::role_type role, WriteFunnel& stream, boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, stream.next_layer(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, WriteFunnel& stream, TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace outloud::net
