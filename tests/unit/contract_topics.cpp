// The Store contract for topics and read markers (server/backend/store.hpp), run against every
// backend kind: a topic's page, the topic list with counts and unread, markers that never go back,
// archived rooms kept as stored.
#include <catch2/catch.hpp>

#include "await.hpp"
#include "backend_fixture.hpp"

namespace outloud::testing {
namespace contract_topics_test {

using backend::Page;
using backend::RoomProgress;
using protocol::Room;
using protocol::TopicSummary;

const protocol::User kAuthor{"u-author", "Ann Author", "essex-cc"};

std::vector<std::int64_t> seqs(const Page& page) {
  std::vector<std::int64_t> out;
  for (const auto& m : page.messages) out.push_back(m.seq);
  return out;
}

TEST_CASE("store: topics are listed by last activity with counts and unread, and read alone", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-topics");
    auto& store = backends->store();
    Room room{"forum", "Forum", protocol::RoomKind::room, kAuthor.id, now_ms(), std::nullopt};
    await_value<Room>([&](auto done) { store.create_room(room, done); });
    // budget 1, 2, 4; parking 3, 5; events 6
    for (const char* topic : {"budget", "budget", "parking", "budget", "parking", "events"}) {
      auto request = make_append("forum", kAuthor, std::string("about ") + topic);
      request.topic = topic;
      await_value<backend::AppendResult>([&](auto done) { store.append(request, done); });
    }
    auto list = [&](std::string user, std::int64_t before, int limit) {
      return await_value<std::vector<TopicSummary>>([&](auto done) { store.list_topics("forum", user, before, limit, done); });
    };
    auto topics = list("u-reader", 0, 10);
    REQUIRE(topics.size() == 3);
    CHECK(topics[0].topic == "events");
    CHECK(topics[0].last_seq == 6);
    CHECK(topics[1].topic == "parking");
    CHECK(topics[1].count == 2);
    CHECK(topics[1].unread == 2);
    CHECK(topics[2].topic == "budget");
    CHECK(topics[2].count == 3);
    CHECK(topics[2].last_seq == 4);
    CHECK(topics[2].last_ts > 0);
    auto older = list("u-reader", 5, 10);
    REQUIRE(older.size() == 1);
    CHECK(older[0].topic == "budget");
    CHECK(list("u-reader", 0, 1).size() == 1);

    auto page = [&](std::optional<std::int64_t> before, std::optional<std::int64_t> after, int limit) {
      return await_value<Page>([&](auto done) { store.topic_page("forum", "budget", before, after, limit, done); });
    };
    CHECK(seqs(page(std::nullopt, std::nullopt, 10)) == std::vector<std::int64_t>{1, 2, 4});
    CHECK(seqs(page(std::nullopt, std::nullopt, 2)) == std::vector<std::int64_t>{2, 4});
    CHECK(seqs(page(4, std::nullopt, 10)) == std::vector<std::int64_t>{1, 2});
    CHECK(seqs(page(std::nullopt, 1, 1)) == std::vector<std::int64_t>{2});
    CHECK(page(std::nullopt, std::nullopt, 10).head == 6);

    // Markers: the room's covers every topic; a topic's its own; neither goes back.
    auto mark = [&](std::string topic, std::int64_t seq) {
      return await_value<std::int64_t>([&](auto done) { store.mark_read("u-reader", "forum", topic, seq, done); });
    };
    CHECK(mark("", 4) == 4);
    CHECK(mark("", 2) == 4);
    CHECK(mark("parking", 5) == 5);
    topics = list("u-reader", 0, 10);
    CHECK(topics[0].unread == 1);  // events 6
    CHECK(topics[1].unread == 0);  // parking read to 5
    CHECK(topics[2].unread == 0);  // budget, all <= 4
    CHECK(list("u-other", 0, 10)[2].unread == 3);
    auto progress = await_value<std::vector<RoomProgress>>(
        [&](auto done) { store.read_progress("u-reader", {"forum", "nowhere"}, done); });
    REQUIRE(progress.size() == 2);
    CHECK(progress[0].last_seq == 6);
    CHECK(progress[0].read == 4);
    CHECK(progress[1].last_seq == 0);
    CHECK(progress[1].read == 0);

    // Archived is kept.
    room.archived = true;
    await_value<Room>([&](auto done) { store.update_room(room, done); });
    auto found = await_value<std::optional<Room>>([&](auto done) { store.get_room("forum", done); });
    REQUIRE(found.has_value());
    CHECK(found->archived);
  }
}

TEST_CASE("store: one's own message is read by its author unless others' words before it are not", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-own");
    auto& store = backends->store();
    Room room{"chat", "Chat", protocol::RoomKind::room, kAuthor.id, now_ms(), std::nullopt};
    await_value<Room>([&](auto done) { store.create_room(room, done); });
    const protocol::User other{"u-other", "Olu Other", "nhs"};
    auto say = [&](const protocol::User& from, const std::string& topic) {
      auto request = make_append("chat", from, "words");
      request.topic = topic;
      return await_value<backend::AppendResult>([&](auto done) { store.append(request, done); }).message.seq;
    };
    auto unread = [&](const std::string& topic) {
      auto topics = await_value<std::vector<TopicSummary>>([&](auto done) { store.list_topics("chat", kAuthor.id, 0, 10, done); });
      for (const auto& t : topics) if (t.topic == topic) return t.unread;
      FAIL("no topic " << topic);
      return std::int64_t{-1};
    };
    auto room_read = [&] {
      auto progress = await_value<std::vector<RoomProgress>>([&](auto done) { store.read_progress(kAuthor.id, {"chat"}, done); });
      REQUIRE(progress.size() == 1);
      return progress[0].read;
    };
    CHECK(say(kAuthor, "general") == 1);
    CHECK(room_read() == 1);
    CHECK(unread("general") == 0);
    CHECK(say(kAuthor, "general") == 2);  // twice in a row
    CHECK(room_read() == 2);
    // Someone else's words not read yet stay unread, and so does what follows them.
    CHECK(say(other, "general") == 3);
    CHECK(say(kAuthor, "general") == 4);
    CHECK(room_read() == 2);
    CHECK(unread("general") == 2);
    // Read up to 4; then another topic is written in: answering in "general" reads "general" alone.
    await_value<std::int64_t>([&](auto done) { store.mark_read(kAuthor.id, "chat", "", 4, done); });
    CHECK(say(other, "parking") == 5);
    CHECK(say(kAuthor, "general") == 6);
    CHECK(unread("general") == 0);
    CHECK(unread("parking") == 1);
    CHECK(room_read() == 4);
    // A first word in a new topic, with the room read: both read.
    await_value<std::int64_t>([&](auto done) { store.mark_read(kAuthor.id, "chat", "", 6, done); });
    CHECK(say(kAuthor, "budget") == 7);
    CHECK(unread("budget") == 0);
    CHECK(room_read() == 7);
    // Nobody else's markers move.
    auto others = await_value<std::vector<RoomProgress>>([&](auto done) { store.read_progress(other.id, {"chat"}, done); });
    CHECK(others[0].read == 0);
  }
}

TEST_CASE("store: mentions are kept per person and counted after the room's marker", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-mentions");
    auto& store = backends->store();
    Room room{"forum", "Forum", protocol::RoomKind::room, kAuthor.id, now_ms(), std::nullopt};
    await_value<Room>([&](auto done) { store.create_room(room, done); });
    for (int i = 1; i <= 6; ++i) {
      await_value<backend::AppendResult>([&](auto done) { store.append(make_append("forum", kAuthor, "hello"), done); });
    }
    auto note = [&](std::int64_t seq, std::vector<std::string> users) {
      await_value<backend::Unit>([&](auto done) { store.note_mentions("forum", seq, users, done); });
    };
    auto progress = [&](const std::string& user) {
      auto all = await_value<std::vector<RoomProgress>>(
          [&](auto done) { store.read_progress(user, {"nowhere", "forum"}, done); });
      REQUIRE(all.size() == 2);
      CHECK(all[0].mentions == 0);
      return all[1];
    };
    note(2, {"u-sam", "u-kim"});
    note(4, {"u-sam"});
    note(4, {"u-sam"});  // kept once
    note(6, {"u-kim"});
    CHECK(progress("u-sam").mentions == 2);
    CHECK(progress("u-kim").mentions == 2);
    CHECK(progress("u-nobody").mentions == 0);
    // Only what comes after the marker of the whole room counts.
    await_value<std::int64_t>([&](auto done) { store.mark_read("u-sam", "forum", "", 3, done); });
    auto sam = progress("u-sam");
    CHECK(sam.read == 3);
    CHECK(sam.last_seq == 6);
    CHECK(sam.mentions == 1);
    await_value<std::int64_t>([&](auto done) { store.mark_read("u-sam", "forum", "general", 6, done); });
    CHECK(progress("u-sam").mentions == 1);  // a topic's marker is not the room's
    await_value<std::int64_t>([&](auto done) { store.mark_read("u-sam", "forum", "", 6, done); });
    CHECK(progress("u-sam").mentions == 0);
    // Messages that retention deleted no longer count.
    CHECK(await_value<std::int64_t>([&](auto done) { store.delete_messages_before("forum", now_ms() + 60'000, 2, done); }) == 2);
    CHECK(progress("u-kim").mentions == 1);

    // At most kMentionsKept per person and room, the newest.
    for (int i = 0; i < backend::kMentionsKept + 5; ++i) {
      await_value<backend::AppendResult>([&](auto done) { store.append(make_append("forum", kAuthor, "@Lee"), done); });
    }
    for (std::int64_t seq = 7; seq < 7 + backend::kMentionsKept + 5; ++seq) note(seq, {"u-lee"});
    CHECK(progress("u-lee").mentions == backend::kMentionsKept);
  }
}

}  // namespace contract_topics_test
}  // namespace outloud::testing
