#include "server/redis/redis_store.hpp"

#include <algorithm>
#include <chrono>

#include "outloud/protocol/parse_message.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "server/core/log.hpp"
#include "server/redis/codec.hpp"
#include "server/redis/envelope.hpp"
#include "server/redis/reply_failure.hpp"

namespace outloud::redis {

using backend::Callback;
using backend::Result;

namespace {

// Serialized in the seq's place, then cut out: the script puts the real seq between the halves.
constexpr std::int64_t kSeqPlaceholder = 9007199254740991;  // 2^53 - 1

// A reply that is neither a connection failure nor a Redis error, or the error to report.
std::optional<backend::Error> failure_of(const Result<Reply>& reply) { return reply_failure(reply, "storage error"); }

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

RedisStore::RedisStore(std::shared_ptr<Connection> connection, std::shared_ptr<ScriptSet> scripts, Keys keys,
                       std::int64_t stream_maxlen, WaitReplicas wait)
    : connection_(std::move(connection)),
      scripts_(std::move(scripts)),
      keys_(std::move(keys)),
      stream_maxlen_(std::max<std::int64_t>(stream_maxlen, 0)),
      replicas_(connection_, wait) {}

void RedisStore::create_room(protocol::Room room, Callback<protocol::Room> done) {
  std::vector<std::string> argv{"HSETNX", keys_.rooms(), room.id, encode_room(room)};
  connection_->command(std::move(argv), [this, room = std::move(room), done = std::move(done)](Result<Reply> reply) mutable {
    if (auto error = failure_of(reply)) return done(*error);
    if (reply.value().integer != 1) return done(backend::Error{protocol::ErrorCode::conflict, "room exists"});
    acknowledge(std::move(room), "a new room", std::move(done));
  });
}

void RedisStore::get_room(std::string room, Callback<std::optional<protocol::Room>> done) {
  connection_->command({"HGET", keys_.rooms(), room}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = failure_of(reply)) return done(*error);
    if (reply.value().is_nil()) return done(std::optional<protocol::Room>());
    auto decoded = decode_room(reply.value().str);
    if (!decoded) return done(backend::internal_error("unreadable room record"));
    done(std::optional<protocol::Room>(std::move(*decoded)));
  });
}

void RedisStore::list_rooms(Callback<std::vector<protocol::Room>> done) {
  connection_->command({"HVALS", keys_.rooms()}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = failure_of(reply)) return done(*error);
    std::vector<protocol::Room> rooms;
    rooms.reserve(reply.value().elements.size());
    for (const auto& element : reply.value().elements) {
      if (auto room = decode_room(element.str)) rooms.push_back(std::move(*room));
    }
    std::sort(rooms.begin(), rooms.end(), [](const protocol::Room& a, const protocol::Room& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    done(std::move(rooms));
  });
}

void RedisStore::count_rooms(Callback<std::int64_t> done) {
  connection_->command({"HLEN", keys_.rooms()}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = failure_of(reply)) return done(*error);
    done(static_cast<std::int64_t>(reply.value().integer));
  });
}

void RedisStore::list_rooms_page(std::string after, int limit, Callback<std::vector<protocol::Room>> done) {
  connection_->command({"HKEYS", keys_.rooms()}, [this, after = std::move(after), limit,
                                                   done = std::move(done)](Result<Reply> reply) mutable {
    if (auto error = failure_of(reply)) return done(*error);
    std::vector<std::string> ids;
    for (auto& element : reply.value().elements) {
      if (element.str > after) ids.push_back(std::move(element.str));
    }
    const auto page = std::min<std::size_t>(ids.size(), static_cast<std::size_t>(std::max(limit, 0)));
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(page), ids.end());
    ids.resize(page);
    if (ids.empty()) return done(std::vector<protocol::Room>{});
    std::vector<std::string> argv{"HMGET", keys_.rooms()};
    argv.insert(argv.end(), ids.begin(), ids.end());
    connection_->command(std::move(argv), [done = std::move(done)](Result<Reply> records) {
      if (auto error = failure_of(records)) return done(*error);
      std::vector<protocol::Room> rooms;
      for (const auto& element : records.value().elements) {
        if (element.is_nil()) continue;  // deleted meanwhile
        if (auto room = decode_room(element.str)) rooms.push_back(std::move(*room));
      }
      done(std::move(rooms));
    });
  });
}

void RedisStore::append(backend::AppendRequest request, Callback<backend::AppendResult> done) {
  protocol::Message message;
  message.room = request.room;
  message.seq = kSeqPlaceholder;
  message.ts = request.ts;
  message.from = std::move(request.from);
  message.topic = std::move(request.topic);
  message.text = std::move(request.text);
  message.tag = request.tag;
  message.reply_to = request.reply_to;
  message.nonce = std::move(request.nonce);

  const std::string event = protocol::message_event(message);
  static const std::string marker = "\"seq\":" + std::to_string(kSeqPlaceholder);
  const auto at = event.find(marker);
  if (at == std::string::npos) return done(backend::internal_error("cannot place the seq in the message"));
  const std::size_t seq_at = at + marker.size() - std::to_string(kSeqPlaceholder).size();

  const bool has_nonce = message.nonce.has_value();
  // The window runs from the message's own time; a nonce already past it is checked, not kept.
  const std::int64_t nonce_ttl_ms =
      std::max<std::int64_t>(message.ts + backend::kNonceWindowMs - wall_clock_ms(), 0);
  std::vector<std::string> keys{keys_.rooms(), keys_.seq(message.room), keys_.stream(message.room),
                                has_nonce ? keys_.nonce(message.room, message.from.id, *message.nonce)
                                          : keys_.seq(message.room),
                                keys_.topics(message.room), keys_.topic_times(message.room),
                                keys_.topic_prefix(message.room) + message.topic, keys_.reads(message.from.id)};
  std::vector<std::string> args{message.room,
                                event.substr(0, seq_at),
                                event.substr(at + marker.size()),
                                std::to_string(nonce_ttl_ms),
                                has_nonce ? "1" : "0",
                                std::to_string(stream_maxlen_),
                                keys_.channel(message.room),
                                message.topic,
                                std::to_string(message.ts),
                                publish_after_wait() ? "0" : "1",
                                Keys::room_marker_field(message.room)};
  scripts_->append.run(
      connection_, std::move(keys), std::move(args),
      [this, message = std::move(message), before_seq = event.substr(0, seq_at),
       after_seq = event.substr(at + marker.size()), done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = failure_of(reply)) return done(*error);
        const auto& elements = reply.value().elements;
        long long code = 0;
        long long seq = 0;
        if (elements.empty() || !reply_int(elements[0], code)) return done(backend::internal_error("bad append reply"));
        if (code < 0) return done(backend::Error{protocol::ErrorCode::not_found, "no such room"});
        if (elements.size() < 2 || !reply_int(elements[1], seq)) return done(backend::internal_error("bad append reply"));
        message.seq = seq;
        if (code == 0) {
          // The nonce was seen: answer with the first message as stored (or, if trimmed, its seq).
          std::optional<std::string> stored_event;
          if (elements.size() >= 3) {
            if (auto first = protocol::parse_message_json(elements[2].str)) message = std::move(*first);
            stored_event = elements[2].str;
          }
          // Confirmed too: the first attempt's answer may have been lost before its WAIT. Published
          // again, as the first attempt's node may have died between its WAIT and its PUBLISH
          // (subscribers drop a seq they have already).
          return confirm_replicated(backend::AppendResult{std::move(message), true}, std::move(stored_event),
                                    std::move(done));
        }
        stored_.fetch_add(1, std::memory_order_relaxed);
        std::string stored_event = std::move(before_seq) + std::to_string(seq) + after_seq;
        confirm_replicated(backend::AppendResult{std::move(message), false}, std::move(stored_event), std::move(done));
      });
}

// WAIT follows the script on the same connection, so it covers this append. Anything short of the
// count (timeout, lost connection, error) is `unavailable`, never `sent`: the message may be stored,
// but it is not published (a failover could still roll it back), and a retry with the same nonce
// gets its seq once replicas confirm. Once confirmed, the message is published: so no client sees
// live what a failover can take back. If this node dies between WAIT and PUBLISH, the message is
// stored and replicated: subscribers read it from the store when the room's next seq shows the gap,
// and the sender's retry (same nonce) publishes it again.
void RedisStore::confirm_replicated(backend::AppendResult result, std::optional<std::string> stored_event,
                                    Callback<backend::AppendResult> done) {
  if (!publish_after_wait()) return done(std::move(result));
  replicas_.confirm("a message", [this, result = std::move(result), stored_event = std::move(stored_event),
                                  done = std::move(done)](std::optional<backend::Error> error) mutable {
    if (error) return done(std::move(*error));
    if (stored_event) publish_message(result.message.room, result.message.seq, std::move(*stored_event));
    done(std::move(result));
  });
}

// Pipelined on the command connection after this node's WAIT replies, which come in order: a node's
// own messages reach the channel in seq order. A failed PUBLISH is not the sender's failure (the
// message is stored and replicated); subscribers fill the gap from the store.
void RedisStore::publish_message(const std::string& room, std::int64_t seq, std::string event_json) {
  backend::BusEvent event;
  event.kind = backend::BusEvent::Kind::message;
  event.seq = seq;
  event.payload = std::make_shared<const std::string>(std::move(event_json));
  connection_->command({"PUBLISH", keys_.channel(room), encode_envelope(event)}, [room, seq](Result<Reply> reply) {
    if (!reply.ok() || reply.value().is_error()) {
      log::warn("redis: message %lld in %s stored and confirmed but not published; subscribers read it from the store",
                static_cast<long long>(seq), room.c_str());
    }
  });
}

void RedisStore::read_range(const std::string& room, const char* verb, std::string start, std::string end, int limit,
                            bool descending, Callback<backend::Page> done) {
  if (limit <= 0) {
    // No entry has id 0-0: the script then reads only the head.
    start = end = "0-0";
    limit = 1;
  }
  scripts_->read_range.run(
      connection_, {keys_.seq(room), keys_.stream(room), keys_.edits(room)}, {verb, std::move(start), std::move(end), std::to_string(limit)},
      [descending, done = std::move(done)](Result<Reply> reply) {
        if (auto error = failure_of(reply)) return done(*error);
        const auto& elements = reply.value().elements;
        backend::Page page;
        long long head = 0;
        if (elements.empty() || !reply_int(elements[0], head)) return done(backend::internal_error("bad read reply"));
        page.head = head;
        page.messages.reserve(elements.size() - 1);
        for (std::size_t i = 1; i < elements.size(); ++i) {
          if (auto message = protocol::parse_message_json(elements[i].str)) {
            page.messages.push_back(std::move(*message));
          } else {
            log::error("redis: unreadable stored message skipped");
          }
        }
        if (descending) std::reverse(page.messages.begin(), page.messages.end());
        done(std::move(page));
      });
}

void RedisStore::update_room(protocol::Room room, Callback<protocol::Room> done) {
  // Both read before the callback below takes the room (argument order is unspecified).
  std::vector<std::string> args{room.id, encode_room(room)};
  scripts_->update_room.run(connection_, {keys_.rooms()}, std::move(args),
                            [this, room = std::move(room), done = std::move(done)](Result<Reply> reply) mutable {
                              if (auto error = failure_of(reply)) return done(*error);
                              if (reply.value().integer != 1) {
                                return done(backend::Error{protocol::ErrorCode::not_found, "no such room"});
                              }
                              acknowledge(std::move(room), "a room's settings", std::move(done));
                            });
}

void RedisStore::delete_messages_before(std::string room, std::int64_t ts, int limit, Callback<std::int64_t> done) {
  // The oldest `limit` entries; the run of them older than `ts` is trimmed by id (XTRIM MINID), so
  // an entry appended meanwhile is never touched. The seq lives in its own key: never reused.
  read_range(room, "XRANGE", "-", "+", limit, false,
             [this, room, ts, done = std::move(done)](Result<backend::Page> page) mutable {
               if (!page) return done(page.error());
               std::int64_t through = 0;
               std::int64_t count = 0;
               for (const auto& message : page.value().messages) {
                 if (message.ts >= ts) break;
                 through = message.seq;
                 ++count;
               }
               if (count == 0) return done(std::int64_t{0});
               connection_->command({"XTRIM", keys_.stream(room), "MINID", std::to_string(through + 1) + "-0"},
                                    [this, done = std::move(done)](Result<Reply> reply) {
                                      if (auto error = failure_of(reply)) return done(*error);
                                      stored_.fetch_sub(reply.value().integer, std::memory_order_relaxed);
                                      done(std::int64_t{reply.value().integer});
                                    });
             });
}

// Redis serves one command at a time in order: the lane changes nothing here.
void RedisStore::latest(std::string room, int limit, Callback<backend::Page> done, backend::ReadLane /*lane*/) {
  read_range(room, "XREVRANGE", "+", "-", limit, true, std::move(done));
}

void RedisStore::after(std::string room, std::int64_t after_seq, int limit, Callback<backend::Page> done,
                       backend::ReadLane /*lane*/) {
  read_range(room, "XRANGE", std::to_string(std::max<std::int64_t>(after_seq, 0) + 1) + "-0", "+", limit, false,
             std::move(done));
}

void RedisStore::before(std::string room, std::int64_t before_seq, int limit, Callback<backend::Page> done,
                        backend::ReadLane /*lane*/) {
  if (before_seq <= 1) limit = 0;
  read_range(room, "XREVRANGE", std::to_string(before_seq - 1) + "-0", "-", limit, true, std::move(done));
}

void RedisStore::load_state(std::string room, Callback<backend::RoomState> done) {
  connection_->command({"HMGET", keys_.state(room), "version", "json"}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = failure_of(reply)) return done(*error);
    const auto& elements = reply.value().elements;
    backend::RoomState state;
    long long version = 0;
    if (elements.size() == 2 && reply_int(elements[0], version) && version > 0) {
      state.version = version;
      state.json = elements[1].str;
    }
    done(std::move(state));
  });
}

void RedisStore::save_state(std::string room, std::int64_t expected_version, std::string json,
                            Callback<bool> done) {
  scripts_->save_state.run(connection_, {keys_.state(room)}, {std::to_string(expected_version), std::move(json)},
                           [this, done = std::move(done)](Result<Reply> reply) mutable {
                             if (auto error = failure_of(reply)) return done(*error);
                             // A lost compare-and-set wrote nothing: nothing to confirm.
                             if (reply.value().integer != 1) return done(false);
                             acknowledge(true, "a facilitation state", std::move(done));
                           });
}

}  // namespace outloud::redis
