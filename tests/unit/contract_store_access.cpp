// The Store contract of access.md's additions (server/backend/store.hpp): room settings are
// updated and kept, and retention deletes a room's oldest messages, run against every backend kind.
#include <catch2/catch.hpp>

#include <vector>

#include "await.hpp"
#include "backend_fixture.hpp"

namespace outloud::testing {
namespace contract_store_access_test {

using backend::AppendResult;
using backend::Page;
using protocol::Room;

const protocol::User kFiona{"u-fiona", "Fiona Reid", "essex-cc"};

Room make_room(const std::string& id) {
  Room room;
  room.id = id;
  room.title = "Safeguarding";
  room.created_by = kFiona.id;
  room.created_at = now_ms();
  room.org = "essex-cc";
  return room;
}

std::vector<std::int64_t> seqs_of(const Page& page) {
  std::vector<std::int64_t> seqs;
  for (const auto& m : page.messages) seqs.push_back(m.seq);
  return seqs;
}

TEST_CASE("store: a room keeps its organisation, visibility, label and retention, and they can change",
          "[contract][store][access]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-room-settings");
    auto& store = backends->store();

    Room room = make_room("safeguarding");
    room.visibility = protocol::Visibility::private_;
    room.label = "OFFICIAL-SENSITIVE";
    room.retention_days = 30;
    await_value<Room>([&](auto done) { store.create_room(room, done); });
    CHECK(await_value<std::optional<Room>>([&](auto done) { store.get_room(room.id, done); }) == room);

    Room open = make_room("open");
    await_value<Room>([&](auto done) { store.create_room(open, done); });
    auto read = await_value<std::optional<Room>>([&](auto done) { store.get_room("open", done); });
    REQUIRE(read.has_value());
    CHECK(read->visibility == protocol::Visibility::open);
    CHECK(read->label == "OFFICIAL");
    CHECK_FALSE(read->retention_days.has_value());

    Room changed = room;
    changed.title = "Safeguarding partnership";
    changed.visibility = protocol::Visibility::open;
    changed.label = "OFFICIAL";
    changed.retention_days = std::nullopt;
    CHECK(await_value<Room>([&](auto done) { store.update_room(changed, done); }) == changed);
    CHECK(await_value<std::optional<Room>>([&](auto done) { store.get_room(room.id, done); }) == changed);
    auto listed = await_value<std::vector<Room>>([&](auto done) { store.list_rooms(done); });
    CHECK(std::count(listed.begin(), listed.end(), changed) == 1);

    auto missing = await<Room>([&](auto done) { store.update_room(make_room("nowhere"), done); });
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == protocol::ErrorCode::not_found);
    CHECK_FALSE(await_value<std::optional<Room>>([&](auto done) { store.get_room("nowhere", done); }));
  }
}

TEST_CASE("store: retention deletes the oldest messages before a time, a batch at a time; seqs go on",
          "[contract][store][access]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-retention");
    auto& store = backends->store();
    await_value<Room>([&](auto done) { store.create_room(make_room("old"), done); });
    await_value<Room>([&](auto done) { store.create_room(make_room("other"), done); });

    const std::int64_t t = now_ms();
    for (int i = 0; i < 10; ++i) {
      auto request = make_append("old", kFiona, "message " + std::to_string(i + 1));
      request.ts = t + i * 1000;  // seq i + 1 at t + i s
      await_value<AppendResult>([&](auto done) { store.append(request, done); });
    }
    auto request = make_append("other", kFiona, "elsewhere");
    request.ts = t;
    await_value<AppendResult>([&](auto done) { store.append(request, done); });

    auto remove = [&](std::int64_t before, int limit) {
      return await_value<std::int64_t>([&](auto done) { store.delete_messages_before("old", before, limit, done); });
    };
    auto latest = [&](const std::string& room) {
      return await_value<Page>([&](auto done) { store.latest(room, 100, done); });
    };

    // Messages 1..6 are older than t + 5.5 s: three now, the other three next time.
    CHECK(remove(t + 5500, 3) == 3);
    CHECK(seqs_of(latest("old")) == std::vector<std::int64_t>{4, 5, 6, 7, 8, 9, 10});
    CHECK(remove(t + 5500, 100) == 3);
    CHECK(remove(t + 5500, 100) == 0);
    auto page = latest("old");
    CHECK(seqs_of(page) == std::vector<std::int64_t>{7, 8, 9, 10});
    CHECK(page.head == 10);
    auto after = await_value<Page>([&](auto done) { store.after("old", 0, 2, done); });
    CHECK(seqs_of(after) == std::vector<std::int64_t>{7, 8});
    auto before = await_value<Page>([&](auto done) { store.before("old", 8, 10, done); });
    CHECK(seqs_of(before) == std::vector<std::int64_t>{7});
    CHECK(latest("other").messages.size() == 1);  // another room is untouched

    // Everything gone: the next message still gets the next seq, never one used before.
    CHECK(remove(t + 60000, 100) == 4);
    CHECK(latest("old").messages.empty());
    CHECK(latest("old").head == 10);
    auto next = make_append("old", kFiona, "after retention");
    CHECK(await_value<AppendResult>([&](auto done) { store.append(next, done); }).message.seq == 11);
    CHECK(await_value<std::int64_t>([&](auto done) { store.delete_messages_before("nowhere", t + 60000, 10, done); }) ==
          0);
  }
}

}  // namespace contract_store_access_test
}  // namespace outloud::testing
