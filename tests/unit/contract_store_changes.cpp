// The Store contract for edits, deletions, removals, catching up with them, and search — run
// against every backend kind (SQLite with FTS5, Redis with its bounded scan).
#include <catch2/catch.hpp>

#include "await.hpp"
#include "backend_fixture.hpp"

namespace outloud::testing {
namespace contract_store_changes_test {

using backend::ChangeKind;
using backend::ChangePage;
using backend::ChangeRequest;
using backend::ChangeResult;
using backend::SearchPage;
using backend::SearchRequest;

const protocol::User kAuthor{"u-ann", "Ann Author", "essex-cc"};
const protocol::User kOther{"u-oli", "Oli Other", "nhs-ee"};

void create_room(backend::Store& store, const std::string& id) {
  protocol::Room room;
  room.id = id;
  room.title = id;
  room.created_by = kAuthor.id;
  room.created_at = now_ms();
  await_value<protocol::Room>([&](auto done) { store.create_room(room, done); });
}

std::int64_t send(backend::Store& store, const std::string& room, const protocol::User& from, const std::string& text) {
  return await_value<backend::AppendResult>([&](auto done) {
           store.append(make_append(room, from, text), done);
         }).message.seq;
}

backend::Result<ChangeResult> change(backend::Store& store, ChangeRequest request) {
  return await<ChangeResult>([&](auto done) { store.change_message(std::move(request), done); });
}

ChangeRequest edit(const std::string& room, std::int64_t seq, const protocol::User& by, const std::string& text) {
  return ChangeRequest{room, seq, ChangeKind::edit, by, text, {}, now_ms()};
}

std::vector<std::int64_t> seqs(const std::vector<protocol::Message>& messages) {
  std::vector<std::int64_t> out;
  for (const auto& message : messages) out.push_back(message.seq);
  return out;
}

SearchPage search(backend::Store& store, const std::string& room, std::vector<std::string> terms,
                  std::optional<std::int64_t> before = std::nullopt, int limit = 20, int scan_limit = 2000) {
  return await_value<SearchPage>([&](auto done) {
    store.search(SearchRequest{room, std::move(terms), before, limit, scan_limit}, done);
  });
}

TEST_CASE("store: edits and deletions change a message in place, with the room's change version",
          "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-changes");
    auto& store = backends->store();
    create_room(store, "edits");
    const auto first = send(store, "edits", kAuthor, "Teh budget");
    const auto second = send(store, "edits", kOther, "second");
    const auto third = send(store, "edits", kAuthor, "third");

    auto edited = change(store, edit("edits", first, kAuthor, "The budget"));
    REQUIRE(edited.ok());
    CHECK(edited.value().version == 1);
    CHECK(edited.value().message.text == "The budget");
    CHECK(edited.value().message.edited_at.has_value());
    CHECK(edited.value().message.seq == first);

    // Only the author edits or deletes; nobody changes a message that is not there.
    auto foreign = change(store, edit("edits", second, kAuthor, "mine now"));
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == protocol::ErrorCode::forbidden);
    auto missing = change(store, edit("edits", 99, kAuthor, "x"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == protocol::ErrorCode::not_found);
    auto no_room = change(store, edit("nowhere", 1, kAuthor, "x"));
    REQUIRE_FALSE(no_room.ok());
    CHECK(no_room.error().code == protocol::ErrorCode::not_found);

    // A moderator removes someone else's message with a reason; the text is gone.
    auto removed = change(store, ChangeRequest{"edits", second, ChangeKind::remove, kAuthor, {}, "personal data", now_ms()});
    REQUIRE(removed.ok());
    CHECK(removed.value().version == 2);
    CHECK(removed.value().message.text.empty());
    REQUIRE(removed.value().message.deleted.has_value());
    CHECK(removed.value().message.deleted->by == kAuthor);
    CHECK(removed.value().message.deleted->reason == std::optional<std::string>("personal data"));
    auto deleted = change(store, ChangeRequest{"edits", third, ChangeKind::delete_, kAuthor, {}, {}, now_ms()});
    REQUIRE(deleted.ok());
    CHECK_FALSE(deleted.value().message.deleted->reason.has_value());
    auto again = change(store, edit("edits", third, kAuthor, "back?"));
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == protocol::ErrorCode::conflict);

    // History shows messages as they stand, in their places; the seq goes on from where it was.
    auto page = await_value<backend::Page>([&](auto done) { store.latest("edits", 10, done); });
    REQUIRE(page.messages.size() == 3);
    CHECK(page.messages[0].text == "The budget");
    CHECK(page.messages[1].deleted.has_value());
    CHECK(page.messages[2].deleted->by == kAuthor);
    CHECK(page.head == third);
    CHECK(send(store, "edits", kOther, "after") == third + 1);

    // Catching up: each changed message once, in the order of its last change, paged.
    auto current = await_value<ChangePage>([&](auto done) { store.changes_since("edits", std::nullopt, 10, done); });
    CHECK(current.version == 3);
    CHECK(current.messages.empty());
    REQUIRE(change(store, edit("edits", first, kAuthor, "The budget, again")).ok());
    auto all = await_value<ChangePage>([&](auto done) { store.changes_since("edits", 0, 10, done); });
    CHECK(seqs(all.messages) == std::vector<std::int64_t>{second, third, first});
    CHECK(all.versions == std::vector<std::int64_t>{2, 3, 4});
    CHECK(all.version == 4);
    CHECK_FALSE(all.more);
    CHECK(all.messages[2].text == "The budget, again");
    auto part = await_value<ChangePage>([&](auto done) { store.changes_since("edits", 1, 1, done); });
    CHECK(seqs(part.messages) == std::vector<std::int64_t>{second});
    CHECK(part.more);
    CHECK(part.version == 2);
    auto none = await_value<ChangePage>([&](auto done) { store.changes_since("edits", 4, 10, done); });
    CHECK(none.messages.empty());
    CHECK(none.version == 4);
    auto unknown = await<ChangePage>([&](auto done) { store.changes_since("nowhere", 0, 10, done); });
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == protocol::ErrorCode::not_found);

    // A message deleted by retention cannot be edited back into being, though it was edited before.
    CHECK(await_value<std::int64_t>([&](auto done) {
            store.delete_messages_before("edits", now_ms() + 60'000, 1, done);
          }) == 1);
    auto gone = change(store, edit("edits", first, kAuthor, "revived?"));
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == protocol::ErrorCode::not_found);
  }
}

TEST_CASE("store: search finds every word, newest first, in one room, never deleted ones, paged",
          "[contract][store]") {
  OUTLOUD_FOR_EACH_BACKEND(kind) {
    auto backends = make_backends(kind, "store-search");
    auto& store = backends->store();
    create_room(store, "search");
    create_room(store, "elsewhere");
    const auto a = send(store, "search", kAuthor, "The housing budget is late");
    send(store, "search", kOther, "Nothing to see");
    const auto c = send(store, "search", kOther, "BUDGET for housing: agreed");
    const auto d = send(store, "search", kAuthor, "budget housing draft");
    send(store, "elsewhere", kAuthor, "housing budget elsewhere");

    CHECK(seqs(search(store, "search", {"budget", "housing"}).messages) == std::vector<std::int64_t>{d, c, a});
    CHECK(search(store, "search", {"budget", "missing"}).messages.empty());
    // Operators and quotes are literal text: never an error.
    for (const char* hostile : {"\"", "NEAR(", "a*", "text:", "^x", "\"\"\"", "(", "-", "{x}"}) {
      INFO(hostile);
      CHECK(search(store, "search", {hostile}).messages.empty());
    }
    CHECK(search(store, "search", {"budget", "OR", "NOT"}).messages.size() <= 3);  // answered, not an error
    // Paged: `next` is the `before` of the following page.
    auto first_page = search(store, "search", {"budget"}, std::nullopt, 2);
    CHECK(seqs(first_page.messages) == std::vector<std::int64_t>{d, c});
    REQUIRE(first_page.next.has_value());
    auto second_page = search(store, "search", {"budget"}, first_page.next, 2);
    CHECK(seqs(second_page.messages) == std::vector<std::int64_t>{a});
    CHECK_FALSE(second_page.next.has_value());

    // Edits and deletions are searched as they stand.
    REQUIRE(change(store, edit("search", d, kAuthor, "final text")).ok());
    REQUIRE(change(store, ChangeRequest{"search", c, ChangeKind::delete_, kOther, {}, {}, now_ms()}).ok());
    CHECK(seqs(search(store, "search", {"budget"}).messages) == std::vector<std::int64_t>{a});
    CHECK(seqs(search(store, "search", {"final"}).messages) == std::vector<std::int64_t>{d});
  }
}

}  // namespace contract_store_changes_test
}  // namespace outloud::testing
