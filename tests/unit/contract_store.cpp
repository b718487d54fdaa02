// The Store contract (server/backend/store.hpp), run against every backend kind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"
#include "outloud/protocol/parse_message.hpp"

namespace outloud::testing {
namespace contract_store_test {

using backend::AppendRequest;
using backend::AppendResult;
using backend::Page;
using backend::RoomState;
using protocol::Room;

const protocol::User kAlice{"u-alice", "Alice Adams", "essex-cc"};
const protocol::User kBob{"u-bob", "Bob Brown", "nhs-ee"};

Room make_room(const std::string& id, protocol::RoomKind kind = protocol::RoomKind::room) {
  Room room;
  room.id = id;
  room.title = "Title of " + id;
  room.kind = kind;
  room.created_by = kAlice.id;
  room.created_at = now_ms();
  return room;
}

void create(backend::Store& store, const Room& room) {
  await_value<Room>([&](auto done) { store.create_room(room, done); });
}

AppendResult append(backend::Store& store, AppendRequest request) {
  return await_value<AppendResult>([&](auto done) { store.append(std::move(request), done); });
}

std::vector<std::int64_t> seqs_of(const std::vector<protocol::Message>& messages) {
  std::vector<std::int64_t> seqs;
  for (const auto& m : messages) seqs.push_back(m.seq);
  return seqs;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> values;
  for (auto v = from; v <= to; ++v) values.push_back(v);
  return values;
}

TEST_CASE("store: rooms are created, read, listed, and never created twice", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-rooms");
    auto& store = backends->store();

    Room housing = make_room("housing");
    Room breakout = make_room("housing.b1", protocol::RoomKind::breakout);
    breakout.parent = "housing";
    auto created = await_value<Room>([&](auto done) { store.create_room(housing, done); });
    CHECK(created == housing);
    create(store, breakout);

    CHECK(await_value<std::optional<Room>>([&](auto done) { store.get_room("housing", done); }) == housing);
    CHECK(await_value<std::optional<Room>>([&](auto done) { store.get_room("housing.b1", done); }) == breakout);
    CHECK_FALSE(await_value<std::optional<Room>>([&](auto done) { store.get_room("nowhere", done); }).has_value());

    auto again = make_room("housing");
    again.title = "Another title";
    auto conflict = await<Room>([&](auto done) { store.create_room(again, done); });
    REQUIRE_FALSE(conflict.ok());
    CHECK(conflict.error().code == protocol::ErrorCode::conflict);
    CHECK(await_value<std::optional<Room>>([&](auto done) { store.get_room("housing", done); })->title ==
          housing.title);

    auto rooms = await_value<std::vector<Room>>([&](auto done) { store.list_rooms(done); });
    std::sort(rooms.begin(), rooms.end(), [](const Room& a, const Room& b) { return a.id < b.id; });
    CHECK(rooms == std::vector<Room>{housing, breakout});
  }
}

TEST_CASE("store: rooms are counted and listed a page at a time, in id order", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-room-pages");
    auto& store = backends->store();
    CHECK(await_value<std::int64_t>([&](auto done) { store.count_rooms(done); }) == 0);
    for (const char* id : {"b", "a", "c~2", "c", "c~1", "d"}) create(store, make_room(id));
    CHECK(await_value<std::int64_t>([&](auto done) { store.count_rooms(done); }) == 6);

    auto ids = [&](const std::string& after, int limit) {
      std::vector<std::string> out;
      for (const auto& room : await_value<std::vector<Room>>([&](auto done) { store.list_rooms_page(after, limit, done); }))
        out.push_back(room.id);
      return out;
    };
    CHECK(ids("", 3) == std::vector<std::string>{"a", "b", "c"});
    CHECK(ids("c", 3) == std::vector<std::string>{"c~1", "c~2", "d"});
    CHECK(ids("c~", 10) == std::vector<std::string>{"c~1", "c~2", "d"});
    CHECK(ids("d", 3).empty());
    CHECK(await_value<std::vector<Room>>([&](auto done) { store.list_rooms_page("", 1, done); }).front() ==
          await_value<std::optional<Room>>([&](auto done) { store.get_room("a", done); }).value());
  }
}

TEST_CASE("store: an appended message is stored as sent and published once", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-append");
    auto& store = backends->store();
    RecordingHandler handler(backends->bus());
    await_value<backend::Unit>([&](auto done) { backends->bus().subscribe("housing", done); });
    create(store, make_room("housing"));

    auto request = make_append("housing", kAlice, "Shall we start with the waiting list? <b>&amp;</b> ünïcödé");
    request.topic = "waiting-list";
    request.tag = protocol::Tag::do_;
    request.reply_to = 7;
    request.nonce = "n-1";
    auto first = append(store, request);
    CHECK_FALSE(first.duplicate);
    CHECK(first.message.seq == 1);
    CHECK(first.message.room == "housing");
    CHECK(first.message.ts == request.ts);
    CHECK(first.message.from == kAlice);
    CHECK(first.message.topic == "waiting-list");
    CHECK(first.message.text == request.text);
    CHECK(first.message.tag == protocol::Tag::do_);
    CHECK(first.message.reply_to == std::optional<std::int64_t>(7));
    CHECK(first.message.nonce == std::optional<std::string>("n-1"));

    auto second = append(store, make_append("housing", kBob, "plain"));
    CHECK(second.message.seq == 2);
    CHECK_FALSE(second.message.tag.has_value());
    CHECK_FALSE(second.message.reply_to.has_value());
    CHECK_FALSE(second.message.nonce.has_value());
    CHECK(second.message.topic == "general");

    auto page = await_value<Page>([&](auto done) { store.latest("housing", 10, done); });
    CHECK(page.head == 2);
    REQUIRE(page.messages.size() == 2);
    CHECK(page.messages[0] == first.message);
    CHECK(page.messages[1] == second.message);

    REQUIRE(handler.wait_for("housing", 2));
    auto events = handler.events_for("housing");
    REQUIRE(events.size() == 2);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& expected = i == 0 ? first.message : second.message;
      CHECK(events[i].kind == backend::BusEvent::Kind::message);
      CHECK(events[i].seq == expected.seq);
      REQUIRE(events[i].payload != nullptr);
      auto parsed = protocol::parse_message_json(*events[i].payload);
      REQUIRE(parsed.has_value());
      CHECK(*parsed == expected);
    }
  }
}

TEST_CASE("store: append to a room that does not exist is not_found", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-missing");
    auto& store = backends->store();
    auto result = await<AppendResult>([&](auto done) { store.append(make_append("nowhere", kAlice, "hi"), done); });
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == protocol::ErrorCode::not_found);
    // Creating it afterwards starts its seq at 1: the refused append used none.
    create(store, make_room("nowhere"));
    CHECK(append(store, make_append("nowhere", kAlice, "hi")).message.seq == 1);
  }
}

TEST_CASE("store: concurrent appends get gap-free seqs and are published once each, in order",
          "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-concurrent");
    auto& store = backends->store();
    RecordingHandler handler(backends->bus());
    await_value<backend::Unit>([&](auto done) { backends->bus().subscribe("busy", done); });
    create(store, make_room("busy"));
    create(store, make_room("quiet"));

    constexpr int kThreads = 4;
    constexpr int kPerThread = 250;
    Countdown all(kThreads * kPerThread);
    std::mutex mutex;
    std::map<int, std::vector<std::int64_t>> seqs_by_thread;  // in the order each thread sent
    std::vector<std::string> failures;
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
      producers.emplace_back([&, t] {
        auto user = protocol::User{"u-" + std::to_string(t), "Producer " + std::to_string(t), "org"};
        for (int i = 0; i < kPerThread; ++i) {
          store.append(make_append("busy", user, std::to_string(t) + ":" + std::to_string(i)),
                       [&, t, i](backend::Result<AppendResult> result) {
                         {
                           std::lock_guard lock(mutex);
                           if (!result.ok()) {
                             failures.push_back(result.error().message);
                           } else if (result.value().message.text != std::to_string(t) + ":" + std::to_string(i)) {
                             failures.push_back("answered with another message");
                           } else {
                             seqs_by_thread[t].push_back(result.value().message.seq);
                           }
                         }
                         all.arrive();
                       });
        }
      });
    }
    for (auto& producer : producers) producer.join();
    REQUIRE(all.wait(std::chrono::seconds(60)));
    REQUIRE(failures.empty());

    std::vector<std::int64_t> every;
    for (auto& [t, seqs] : seqs_by_thread) {
      // One producer's messages keep the order it sent them in (a sender's order in the room).
      CHECK(std::is_sorted(seqs.begin(), seqs.end()));
      every.insert(every.end(), seqs.begin(), seqs.end());
    }
    std::sort(every.begin(), every.end());
    CHECK(every == range(1, kThreads * kPerThread));

    REQUIRE(handler.wait_for("busy", kThreads * kPerThread));
    auto events = handler.events_for("busy");
    std::vector<std::int64_t> published;
    for (const auto& event : events) published.push_back(event.seq);
    CHECK(published == range(1, kThreads * kPerThread));  // exactly once each, in seq order

    auto page = await_value<Page>([&](auto done) { store.latest("busy", 5, done); });
    CHECK(page.head == kThreads * kPerThread);
    CHECK(await_value<Page>([&](auto done) { store.latest("quiet", 5, done); }).head == 0);
  }
}

TEST_CASE("store: a repeated nonce stores and publishes nothing and returns the first message",
          "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-nonce");
    auto& store = backends->store();
    RecordingHandler handler(backends->bus());
    await_value<backend::Unit>([&](auto done) { backends->bus().subscribe("housing", done); });
    await_value<backend::Unit>([&](auto done) { backends->bus().subscribe("other", done); });
    create(store, make_room("housing"));
    create(store, make_room("other"));

    auto first = append(store, make_append("housing", kAlice, "first", "n-42"));
    CHECK_FALSE(first.duplicate);
    auto repeat = append(store, make_append("housing", kAlice, "first, resent", "n-42"));
    CHECK(repeat.duplicate);
    CHECK(repeat.message == first.message);

    // The same nonce from another user, or in another room, is a new message.
    auto by_bob = append(store, make_append("housing", kBob, "bob", "n-42"));
    CHECK_FALSE(by_bob.duplicate);
    CHECK(by_bob.message.seq == 2);
    auto elsewhere = append(store, make_append("other", kAlice, "elsewhere", "n-42"));
    CHECK_FALSE(elsewhere.duplicate);
    CHECK(elsewhere.message.seq == 1);
    // Without a nonce nothing is deduplicated.
    CHECK(append(store, make_append("housing", kAlice, "first")).message.seq == 3);

    // A nonce older than the window is not a duplicate any more.
    auto old = make_append("housing", kBob, "old", "n-old");
    old.ts = now_ms() - backend::kNonceWindowMs - 60'000;
    CHECK(append(store, old).message.seq == 4);
    CHECK_FALSE(append(store, make_append("housing", kBob, "old again", "n-old")).duplicate);

    // Published: seqs 1..5 in housing, and nothing for the duplicate (it would precede seq 2).
    REQUIRE(handler.wait_for("housing", 5));
    std::vector<std::int64_t> published;
    for (const auto& event : handler.events_for("housing")) published.push_back(event.seq);
    CHECK(published == range(1, 5));
    CHECK(await_value<Page>([&](auto done) { store.latest("housing", 50, done); }).head == 5);
  }
}

TEST_CASE("store: the same nonce sent concurrently is stored once", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-nonce-race");
    auto& store = backends->store();
    create(store, make_room("housing"));
    constexpr int kCopies = 20;
    std::vector<Pending<AppendResult>> pending(kCopies);
    for (auto& p : pending) store.append(make_append("housing", kAlice, "resent", "n-race"), p.callback());
    int originals = 0;
    for (auto& p : pending) {
      auto result = p.get();
      REQUIRE(result.ok());
      CHECK(result.value().message.seq == 1);
      originals += result.value().duplicate ? 0 : 1;
    }
    CHECK(originals == 1);
    CHECK(await_value<Page>([&](auto done) { store.latest("housing", 50, done); }).head == 1);
  }
}

TEST_CASE("store: latest, after and before return ascending windows with the head", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-windows");
    auto& store = backends->store();
    create(store, make_room("housing"));
    create(store, make_room("empty"));
    for (int i = 1; i <= 10; ++i) append(store, make_append("housing", kAlice, "m" + std::to_string(i)));

    auto page = [&](auto start) { return await_value<Page>(start); };
    auto latest = page([&](auto done) { store.latest("housing", 3, done); });
    CHECK(seqs_of(latest.messages) == range(8, 10));
    CHECK(latest.head == 10);
    CHECK(latest.messages.back().text == "m10");
    CHECK(seqs_of(page([&](auto done) { store.latest("housing", 50, done); }).messages) == range(1, 10));

    auto after = page([&](auto done) { store.after("housing", 4, 3, done); });
    CHECK(seqs_of(after.messages) == range(5, 7));
    CHECK(after.head == 10);
    CHECK(seqs_of(page([&](auto done) { store.after("housing", 0, 100, done); }).messages) == range(1, 10));
    auto none_after = page([&](auto done) { store.after("housing", 10, 5, done); });
    CHECK(none_after.messages.empty());
    CHECK(none_after.head == 10);

    CHECK(seqs_of(page([&](auto done) { store.before("housing", 4, 10, done); }).messages) == range(1, 3));
    CHECK(seqs_of(page([&](auto done) { store.before("housing", 100, 2, done); }).messages) == range(9, 10));
    CHECK(page([&](auto done) { store.before("housing", 1, 10, done); }).messages.empty());

    auto empty = page([&](auto done) { store.latest("empty", 50, done); });
    CHECK(empty.messages.empty());
    CHECK(empty.head == 0);
    CHECK(page([&](auto done) { store.after("empty", 0, 50, done); }).head == 0);
  }
}

TEST_CASE("store: room state is saved by compare-and-set on its version", "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-state");
    auto& store = backends->store();
    create(store, make_room("housing"));
    auto load = [&] { return await_value<RoomState>([&](auto done) { store.load_state("housing", done); }); };
    auto save = [&](std::int64_t expected, std::string json) {
      return await_value<bool>([&](auto done) { store.save_state("housing", expected, json, done); });
    };

    auto fresh = load();
    CHECK(fresh.version == 0);
    CHECK(fresh.json.empty());

    CHECK(save(0, R"({"locked":false})"));
    CHECK(load().version == 1);
    CHECK(load().json == R"({"locked":false})");
    CHECK_FALSE(save(0, R"({"stale":true})"));  // a second first writer
    CHECK(save(1, R"({"locked":true})"));
    CHECK_FALSE(save(1, R"({"stale":true})"));  // the writer that read version 1 too late
    CHECK_FALSE(save(5, R"({"future":true})"));
    auto now = load();
    CHECK(now.version == 2);
    CHECK(now.json == R"({"locked":true})");

    // Racing writers with the same version: exactly one wins.
    constexpr int kWriters = 8;
    std::vector<Pending<bool>> pending(kWriters);
    for (int i = 0; i < kWriters; ++i) {
      store.save_state("housing", 2, R"({"writer":)" + std::to_string(i) + "}", pending[i].callback());
    }
    int winners = 0;
    for (auto& p : pending) winners += p.get().value() ? 1 : 0;
    CHECK(winners == 1);
    CHECK(load().version == 3);

    // Another room's state is separate.
    CHECK(await_value<RoomState>([&](auto done) { store.load_state("elsewhere", done); }).version == 0);
  }
}

}  // namespace contract_store_test
}  // namespace outloud::testing
