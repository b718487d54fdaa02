// RedisStore: edits, deletions and removals (compare-and-set of a message's current JSON in
// edits:{room}), catching up with them (changes:{room}), and a bounded scan for search.
#include <algorithm>
#include <cctype>

#include "outloud/protocol/parse_message.hpp"
#include "outloud/protocol/server_frames.hpp"
#include "server/redis/redis_store.hpp"
#include "server/redis/reply_failure.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

using backend::Callback;
using backend::ChangeKind;
using backend::Error;
using backend::Result;
using protocol::ErrorCode;

namespace {

// Concurrent changes to one message are rare; past this many lost races the caller hears `conflict`.
constexpr int kMaxChangeAttempts = 5;
constexpr int kSearchSlice = 250;

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains_every(const std::string& haystack, const std::vector<std::string>& lowered_terms) {
  const std::string text = lower_ascii(haystack);
  return std::all_of(lowered_terms.begin(), lowered_terms.end(),
                     [&](const std::string& term) { return text.find(term) != std::string::npos; });
}

}  // namespace

void RedisStore::change_message(backend::ChangeRequest request, Callback<backend::ChangeResult> done) {
  change_attempt(std::move(request), 1, std::move(done));
}

void RedisStore::change_attempt(backend::ChangeRequest request, int attempt, Callback<backend::ChangeResult> done) {
  const std::string seq = std::to_string(request.seq);
  // Built before the call: the callback below takes the request (argument order is unspecified).
  std::vector<std::string> keys{keys_.stream(request.room), keys_.edits(request.room)};
  scripts_->read_message.run(
      connection_, std::move(keys), {seq},
      [this, request = std::move(request), seq, attempt, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "reading a message to change")) return done(*error);
        const auto& elements = reply.value().elements;
        if (elements.size() != 2) return done(backend::internal_error("bad read reply"));
        const std::string& edited = elements[0].str;
        const std::string& current = edited.empty() ? elements[1].str : edited;
        if (current.empty()) {
          return done(Error{ErrorCode::not_found, "no message " + seq + " in room " + request.room});
        }
        auto message = protocol::parse_message_json(current);
        if (!message) return done(backend::internal_error("unreadable stored message"));
        if (message->deleted) return done(Error{ErrorCode::conflict, "message " + seq + " was deleted"});
        if (request.kind != ChangeKind::remove && message->from.id != request.by.id) {
          return done(Error{ErrorCode::forbidden, "only its author may edit or delete a message"});
        }
        if (request.kind == ChangeKind::edit) {
          message->text = request.text;
          message->edited_at = request.ts;
        } else {
          message->text.clear();
          protocol::Deletion deletion{request.ts, request.by, std::nullopt};
          if (request.kind == ChangeKind::remove) deletion.reason = request.reason;
          message->deleted = std::move(deletion);
        }
        std::vector<std::string> keys{keys_.rooms(), keys_.edits(request.room), keys_.changes(request.room),
                                      keys_.change_version(request.room)};
        std::vector<std::string> args{request.room, seq, edited, protocol::message_event(*message)};
        scripts_->change_message.run(
            connection_, std::move(keys), std::move(args),
            [this, request = std::move(request), message = std::move(*message), attempt,
             done = std::move(done)](Result<Reply> reply) mutable {
              if (auto error = reply_failure(reply, "changing a message")) return done(*error);
              const auto& elements = reply.value().elements;
              long long code = 0;
              long long version = 0;
              if (elements.empty() || !reply_int(elements[0], code)) {
                return done(backend::internal_error("bad change reply"));
              }
              if (code < 0) return done(Error{ErrorCode::not_found, "no such room: " + request.room});
              if (code == 0) {
                if (attempt >= kMaxChangeAttempts) {
                  return done(Error{ErrorCode::conflict, "the message is being changed by someone else: try again"});
                }
                return change_attempt(std::move(request), attempt + 1, std::move(done));
              }
              if (elements.size() < 2 || !reply_int(elements[1], version)) {
                return done(backend::internal_error("bad change reply"));
              }
              acknowledge(backend::ChangeResult{std::move(message), version}, "a message change", std::move(done));
            });
      });
}

void RedisStore::changes_since(std::string room, std::optional<std::int64_t> since, int limit,
                               Callback<backend::ChangePage> done) {
  std::vector<std::string> keys{keys_.rooms(), keys_.change_version(room), keys_.changes(room), keys_.edits(room)};
  std::vector<std::string> args{room, since ? std::to_string(*since) : std::string(),
                                std::to_string(std::max(limit, 0) + 1)};
  scripts_->changes_since.run(
      connection_, std::move(keys), std::move(args),
      [room, since, limit, done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "reading changes")) return done(*error);
        const auto& elements = reply.value().elements;
        long long code = 0;
        long long version = 0;
        if (elements.empty() || !reply_int(elements[0], code)) return done(backend::internal_error("bad changes reply"));
        if (code < 0) return done(Error{ErrorCode::not_found, "no such room: " + room});
        if (elements.size() < 2 || !reply_int(elements[1], version)) {
          return done(backend::internal_error("bad changes reply"));
        }
        backend::ChangePage page;
        page.version = version;
        if (!since || limit <= 0) return done(std::move(page));
        std::int64_t last = *since;
        for (std::size_t i = 2; i + 1 < elements.size(); i += 2) {
          if (static_cast<int>(page.messages.size()) == limit) {
            page.more = true;
            break;
          }
          long long changed_at = 0;
          if (!reply_int(elements[i], changed_at)) return done(backend::internal_error("bad changes reply"));
          last = changed_at;
          // Trimmed by retention meanwhile: the version still counts, the message is gone.
          if (auto message = protocol::parse_message_json(elements[i + 1].str)) {
            page.messages.push_back(std::move(*message));
            page.versions.push_back(changed_at);
          }
        }
        if (page.more || elements.size() > 2) page.version = last;
        done(std::move(page));
      });
}

struct RedisStore::SearchScan {
  backend::SearchRequest request;
  std::vector<std::string> lowered_terms;
  std::int64_t before = 0;  // 0: from the newest
  backend::SearchPage page;
  Callback<backend::SearchPage> done;
};

void RedisStore::search(backend::SearchRequest request, Callback<backend::SearchPage> done) {
  auto scan = std::make_shared<SearchScan>();
  for (const auto& term : request.terms) scan->lowered_terms.push_back(lower_ascii(term));
  scan->before = request.before.value_or(0);
  scan->request = std::move(request);
  scan->done = std::move(done);
  if (scan->request.before && *scan->request.before <= 1) return scan->done(std::move(scan->page));
  search_slice(std::move(scan));
}

void RedisStore::search_slice(std::shared_ptr<SearchScan> scan) {
  const auto left = static_cast<int>(std::max<std::int64_t>(scan->request.scan_limit - scan->page.scanned, 0));
  const int count = std::min(kSearchSlice, left);
  const std::string start = scan->before > 0 ? std::to_string(scan->before - 1) + "-0" : "+";
  // Newest first, as read (not reversed).
  read_range(scan->request.room, "XREVRANGE", start, "-", count, false, [this, scan, count](Result<backend::Page> page) {
    if (!page) return scan->done(page.error());
    auto& found = scan->page;
    for (auto& message : page.value().messages) {
      found.scanned++;
      scan->before = message.seq;
      if (message.deleted || !contains_every(message.text, scan->lowered_terms)) continue;
      found.messages.push_back(std::move(message));
      if (static_cast<int>(found.messages.size()) == scan->request.limit) {
        if (scan->before > 1) found.next = scan->before;
        return scan->done(std::move(found));
      }
    }
    const bool at_start = static_cast<int>(page.value().messages.size()) < count || scan->before <= 1;
    if (at_start) return scan->done(std::move(found));
    if (found.scanned >= scan->request.scan_limit) {
      found.next = scan->before;  // not all was looked at: the client may go on from here
      return scan->done(std::move(found));
    }
    search_slice(scan);
  });
}

}  // namespace outloud::redis
