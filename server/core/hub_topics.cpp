// Topics as threads: a room's topics with their counts and the person's unread counts, one topic's
// history, read markers kept per person on the server (so they follow them across devices), and
// `@name` mentions that reach the named people's connections wherever they are.
#include <cctype>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

namespace {

bool same_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Does `text` hold "@<name>" not followed by a letter or digit (so "@Sam" does not name "Samira")?
bool names(std::string_view text, const std::vector<std::size_t>& marks, std::string_view name) {
  for (const auto at : marks) {
    const auto start = at + 1;
    if (start + name.size() > text.size()) continue;
    if (!same_ignoring_ascii_case(text.substr(start, name.size()), name)) continue;
    const auto end = start + name.size();
    if (end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]))) return true;
  }
  return false;
}

}  // namespace

void Hub::Impl::on_topics(std::uint64_t conn_id, const Request& re, const p::ListTopics& list) {
  with_visible_room(conn_id, re, list.room, [this, conn_id, re, list](const RoomAccess&) {
    auto* conn = connection(conn_id);
    if (!conn) return;
    const int limit = std::clamp(list.limit, 1, p::kMaxTopicsPage);
    // One more than the page says whether another follows.
    backends_.store.list_topics(
        list.room, conn->user->id, list.before.value_or(0), limit + 1,
        on_strand<std::vector<p::TopicSummary>>([this, conn_id, re, room = list.room,
                                                 limit](Result<std::vector<p::TopicSummary>> topics) mutable {
          if (!topics) return fail(conn_id, re, topics.error());
          auto page = std::move(topics.value());
          std::optional<std::int64_t> next;
          if (static_cast<int>(page.size()) > limit) {
            page.resize(static_cast<std::size_t>(limit));
            next = page.back().last_seq;
          }
          reply(conn_id, re, p::topics_frame(re, room, page, next));
        }));
  });
}

void Hub::Impl::on_mark_read(std::uint64_t conn_id, const Request& re, const p::MarkRead& read) {
  // Only rooms one may see get markers: nobody fills the store with made-up room ids.
  with_visible_room(conn_id, re, read.room, [this, conn_id, re, read](const RoomAccess&) {
    auto* conn = connection(conn_id);
    if (!conn) return;
    const auto user = conn->user->id;
    const auto topic = read.topic.value_or("");
    backends_.store.mark_read(user, read.room, topic, read.seq,
                              on_strand<std::int64_t>([this, conn_id, re, user, room = read.room,
                                                       topic](Result<std::int64_t> stored) {
                                if (!stored) return fail(conn_id, re, stored.error());
                                if (re) reply(conn_id, re, p::ok_frame(re));
                                // The person's other connections, on any node, move their marker too.
                                notify_users({user}, p::read_event(room, topic, stored.value()));
                              }));
  });
}

void Hub::Impl::note_mentions(const p::Message& message) {
  const std::string_view text(message.text);
  std::vector<std::size_t> marks;
  for (auto at = text.find('@'); at != std::string_view::npos && marks.size() < options_.max_mention_marks;
       at = text.find('@', at + 1)) {
    marks.push_back(at);
  }
  if (marks.empty()) return;
  auto* local = local_room(message.room);
  if (!local) return;
  // Everyone who ever joined the room can be named; the sender naming themself is not a mention.
  std::vector<std::string> named;
  for (const auto& person : local->session.participants) {
    if (named.size() >= options_.max_mentions) break;
    if (person.id != message.from.id && names(text, marks, person.name)) named.push_back(person.id);
  }
  if (named.empty()) return;
  auto frame = p::mention_event(message);
  if (!accounts_mode()) return tell_mentioned(message.room, message.seq, std::move(named), std::move(frame));
  // Accounts mode: only those who may still see the room (a removed member is not told its words).
  const auto room = local->meta;
  const auto& walls = access_room_id(room);
  backends_.accounts->members(walls, on_strand<std::vector<accounts::MemberView>>(
      [this, room, seq = message.seq, named = std::move(named), frame = std::move(frame)](
          Result<std::vector<accounts::MemberView>> members) mutable {
        if (!members) return log::warn("mentions in %s not sent: %s", room.id.c_str(), members.error().message.c_str());
        std::set<std::string> member_ids;
        for (const auto& member : members.value()) member_ids.insert(member.user.id);
        std::erase_if(named, [&](const std::string& id) {
          return !member_ids.count(id) && !(room.visibility == p::Visibility::open && room.created_by == id);
        });
        tell_mentioned(room.id, seq, std::move(named), std::move(frame));
      }));
}

// Live to their connections, and kept for `rooms` to count for whoever was away (or missed the
// notice while the bus was down).
void Hub::Impl::tell_mentioned(const std::string& room, std::int64_t seq, std::vector<std::string> named,
                               std::string frame) {
  if (named.empty()) return;
  backends_.store.note_mentions(room, seq, named, [room, seq](Result<backend::Unit> kept) {
    if (!kept) log::warn("mentions of %s #%lld not kept: %s", room.c_str(), static_cast<long long>(seq),
                         kept.error().message.c_str());
  });
  notify_users(std::move(named), std::move(frame));
}

}  // namespace outloud::core
