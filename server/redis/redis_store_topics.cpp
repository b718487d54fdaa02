// RedisStore: topics as threads and read markers (keys.hpp, topic_scripts.hpp).
#include <algorithm>

#include "outloud/protocol/parse_message.hpp"
#include "server/redis/redis_store.hpp"
#include "server/redis/reply_failure.hpp"

namespace outloud::redis {

using backend::Callback;
using backend::Result;

namespace {

long long int_or_zero(const Reply& reply) {
  long long value = 0;
  return reply_int(reply, value) ? value : 0;
}

}  // namespace

void RedisStore::topic_page(std::string room, std::string topic, std::optional<std::int64_t> before,
                            std::optional<std::int64_t> after, int limit, Callback<backend::Page> done) {
  const char* mode = after ? "after" : before ? "before" : "latest";
  const std::int64_t bound = after ? *after : before ? *before : 0;
  const bool descending = !after;
  scripts_->topic_page.run(
      connection_, {keys_.seq(room), keys_.stream(room), keys_.topic_prefix(room) + topic},
      {mode, std::to_string(bound), std::to_string(std::max(limit, 0))},
      [descending, done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "reading a topic")) return done(*error);
        const auto& elements = reply.value().elements;
        backend::Page page;
        if (elements.empty()) return done(backend::internal_error("bad topic reply"));
        page.head = int_or_zero(elements[0]);
        for (std::size_t i = 1; i < elements.size(); ++i) {
          if (auto message = protocol::parse_message_json(elements[i].str)) page.messages.push_back(std::move(*message));
        }
        if (descending) std::reverse(page.messages.begin(), page.messages.end());
        done(std::move(page));
      });
}

void RedisStore::list_topics(std::string room, std::string user, std::int64_t before, int limit,
                             Callback<std::vector<protocol::TopicSummary>> done) {
  scripts_->list_topics.run(
      connection_,
      {keys_.topics(room), keys_.topic_times(room), keys_.seq(room), keys_.stream(room), keys_.reads(user)},
      {std::to_string(std::max<std::int64_t>(before, 0)), std::to_string(std::max(limit, 0)),
       keys_.topic_prefix(room), Keys::room_marker_field(room), std::to_string(protocol::kMaxUnreadCounted)},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "listing topics")) return done(*error);
        const auto& elements = reply.value().elements;
        std::vector<protocol::TopicSummary> topics;
        for (std::size_t i = 0; i + 4 < elements.size(); i += 5) {
          topics.push_back({elements[i].str, int_or_zero(elements[i + 3]), int_or_zero(elements[i + 1]),
                            int_or_zero(elements[i + 2]), int_or_zero(elements[i + 4])});
        }
        done(std::move(topics));
      });
}

void RedisStore::mark_read(std::string user, std::string room, std::string topic, std::int64_t seq,
                           Callback<std::int64_t> done) {
  scripts_->mark_read.run(connection_, {keys_.reads(user)}, {Keys::room_marker_field(room) + topic, std::to_string(seq)},
                          [this, done = std::move(done)](Result<Reply> reply) mutable {
                            if (auto error = reply_failure(reply, "storing a read marker")) return done(*error);
                            acknowledge(std::int64_t{int_or_zero(reply.value())}, "a read marker", std::move(done));
                          });
}

void RedisStore::read_progress(std::string user, std::vector<std::string> rooms,
                               Callback<std::vector<backend::RoomProgress>> done) {
  if (rooms.empty()) return done(std::vector<backend::RoomProgress>{});
  std::vector<std::string> keys{keys_.reads(user)};
  std::vector<std::string> args{std::to_string(protocol::kMaxUnreadCounted)};
  for (const auto& room : rooms) {
    keys.push_back(keys_.seq(room));
    keys.push_back(keys_.stream(room));
    keys.push_back(keys_.mentions(room, user));
    args.push_back(Keys::room_marker_field(room));
  }
  scripts_->read_progress.run(connection_, std::move(keys), std::move(args), [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "reading rooms' progress")) return done(*error);
    const auto& values = reply.value().elements;
    std::vector<backend::RoomProgress> progress;
    for (std::size_t i = 0; i + 2 < values.size(); i += 3) {
      progress.push_back({int_or_zero(values[i]), int_or_zero(values[i + 1]), int_or_zero(values[i + 2])});
    }
    done(std::move(progress));
  });
}

void RedisStore::note_mentions(std::string room, std::int64_t seq, std::vector<std::string> users,
                               Callback<backend::Unit> done) {
  if (users.empty()) return done(backend::Unit{});
  std::vector<std::string> keys;
  keys.reserve(users.size());
  for (const auto& user : users) keys.push_back(keys_.mentions(room, user));
  scripts_->note_mentions.run(connection_, std::move(keys), {std::to_string(seq), std::to_string(backend::kMentionsKept)},
                              [this, done = std::move(done)](Result<Reply> reply) mutable {
                                if (auto error = reply_failure(reply, "keeping mentions")) return done(*error);
                                acknowledge(backend::Unit{}, "mentions", std::move(done));
                              });
}

}  // namespace outloud::redis
