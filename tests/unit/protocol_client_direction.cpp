// The client direction of protocol/: frames written by client_frame_json read back equal with the
// server's parse_client_frame, and frames written by the server's serializers read back equal with
// ServerFrameReader, which refuses what breaks the contract and names the field.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "outloud/protocol/client_frames.hpp"
#include "outloud/protocol/client_serialize.hpp"
#include "outloud/protocol/server_frame_reader.hpp"
#include "outloud/protocol/server_frames.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace protocol_client_direction_test {

using namespace outloud::protocol;

namespace {

// Serializes `frame` with a request id, parses it as the server does and expects the same frame.
template <class Frame>
void round_trips(const Frame& frame, const RequestId& id = RequestId{std::int64_t{7}}) {
  const std::string json = client_frame_json(id, frame);
  INFO(json);
  auto parsed = parse_client_frame(json);
  if (const auto* error = std::get_if<FrameError>(&parsed)) FAIL("refused: " << error->message);
  const ClientFrame& client_frame = std::get<ClientFrame>(parsed);
  CHECK(client_frame.id == std::optional<RequestId>(id));
  REQUIRE(std::holds_alternative<Frame>(client_frame.body));
  CHECK(std::get<Frame>(client_frame.body) == frame);
}

const User kAda{"u-ada", "Ada Jones", "essex-cc"};
const User kBen{"u-ben", "Ben \"Quote\" Okafor \u00e9\U0001F600", "nhs-north", true};

Room housing() {
  Room room{"housing", "Affordable housing", RoomKind::session, "u-ada", 1700000000000, std::nullopt};
  room.org = "essex-cc";
  room.visibility = Visibility::private_;
  room.label = "OFFICIAL-SENSITIVE";
  room.retention_days = 30;
  return room;
}

Message full_message() {
  Message message;
  message.room = "housing";
  message.seq = 42;
  message.ts = 1700000001234;
  message.from = kBen;
  message.topic = "budget";
  message.text = "Line one\nline two \"quoted\" \\ \u2014";
  message.tag = Tag::do_;
  message.reply_to = 41;
  message.nonce = "cli-abc";
  message.edited_at = 1700000009999;
  return message;
}

Message removed_message() {
  Message message = full_message();
  message.seq = 43;
  message.text.clear();
  message.tag.reset();
  message.reply_to.reset();
  message.nonce.reset();
  message.edited_at.reset();
  message.deleted = Deletion{1700000011111, kAda, std::string("off topic")};
  return message;
}

ServerFrameReader& read_ok(ServerFrameReader& reader, const std::string& json) {
  INFO(json);
  if (!reader.read(json)) FAIL("refused: " << reader.error());
  return reader;
}

std::string refused(const std::string& json) {
  INFO(json);
  ServerFrameReader reader;
  REQUIRE_FALSE(reader.read(json));
  return reader.error();
}

}  // namespace

TEST_CASE("client_frame_json: every frame the clients send parses back equal on the server", "[protocol][client]") {
  round_trips(Hello{"Ada Jones", "essex-cc", std::nullopt});
  round_trips(Hello{std::nullopt, std::nullopt, std::string("jwt.token.here")});
  round_trips(Ping{}, RequestId{std::string("outloud-cli-barrier-3")});
  round_trips(Status{PresenceState::away});
  round_trips(Create{"housing", "Affordable \"housing\"", RoomKind::session, std::nullopt, std::nullopt});
  round_trips(Create{"secret", "Panel", RoomKind::room, Visibility::private_, std::string("OFFICIAL-SENSITIVE")});
  round_trips(ListRooms{200, std::string("b-room"), true});
  round_trips(ListRooms{});
  round_trips(Join{"housing", 17, 50, 100});
  round_trips(Join{"housing", std::nullopt, std::nullopt, std::nullopt});
  round_trips(Join{"housing", std::nullopt, std::nullopt, 100, true});
  round_trips(PresencePage{"housing", std::string("opaque-cursor"), 100});
  round_trips(Leave{"housing"});
  round_trips(MarkRead{"housing", 42, std::nullopt});
  round_trips(MarkRead{"housing", 0, std::string("budget")});
  round_trips(Send{"housing", "caf\u00e9 \U0001F600 \"x\"\n", "budget", Tag::reflect, 41, std::string("n-1")});
  round_trips(Send{"housing", "plain", "general", std::nullopt, std::nullopt, std::nullopt});
  round_trips(History{"housing", 100, std::nullopt, 20, std::string("budget")});
  round_trips(History{"housing", std::nullopt, 5, 200, std::nullopt});
  round_trips(Search{"housing", "rent arrears", 90, 50});
  round_trips(Edit{"housing", 42, "corrected"});
  round_trips(Delete{"housing", 42});
  round_trips(RemoveMessage{"housing", 42, "personal data"});
  round_trips(Hand{"housing", false});
  round_trips(Floor{"housing", std::string("u-ben")});
  round_trips(Floor{"housing", std::nullopt});
  round_trips(Timer{"housing", TimerAction::start, 300, "Check-in"});
  round_trips(Timer{"housing", TimerAction::pause, 0, ""});
  round_trips(PollOpen{"housing", "Which option?", {"A", "B \u00e9", "C"}, true, false});
  round_trips(PollClose{"housing", "p1"});
  round_trips(Vote{"housing", "p1", {0, 2}});
  BreakoutOpen open;
  open.room = "housing";
  open.size = 4;
  open.strategy = BreakoutStrategy::manual;
  open.assign = {{"u-ada", 1}, {"u-ben", 2}};
  open.minutes = 15;
  round_trips(open);
  open = BreakoutOpen{};
  open.room = "housing";
  open.groups = 3;
  round_trips(open);
  round_trips(BreakoutBroadcast{"housing", "Two minutes left"});
  round_trips(BreakoutClose{"housing"});
  round_trips(BreakoutPlace{"housing", "u-ben", 2});
  round_trips(BreakoutPlace{"housing", "u-ben", std::nullopt});
}

TEST_CASE("client_frame_json: no id, no `id`; invalid UTF-8 is replaced, never sent", "[protocol][client]") {
  CHECK(client_frame_json(std::nullopt, Status{PresenceState::online}) == R"({"type":"status","state":"online"})");
  CHECK(client_frame_json(std::int64_t{3}, Leave{"a"}) == R"({"type":"leave","id":3,"room":"a"})");
  const std::string json = client_frame_json(std::int64_t{1}, Send{"a", "bad \xff byte", "general", {}, {}, {}});
  CHECK(json.find('\xff') == std::string::npos);
  CHECK(std::holds_alternative<ClientFrame>(parse_client_frame(json)));
}

TEST_CASE("ServerFrameReader: frames from the server's serializers read back equal", "[protocol][client]") {
  ServerFrameReader reader;
  const ReplyTo re = RequestId{std::int64_t{12}};

  read_ok(reader, welcome_frame(re, kAda, "s-1", "node-a", 1700000000000, Privileges{true, false}));
  CHECK(reader.kind() == ServerFrameKind::welcome);
  CHECK(reader.type() == "welcome");
  CHECK(reader.re() == re);
  CHECK(reader.welcome().user == kAda);
  CHECK(reader.welcome().privileges.admin);
  CHECK_FALSE(reader.welcome().privileges.org_admin);
  CHECK(reader.welcome().session == "s-1");
  CHECK(reader.welcome().node == "node-a");
  CHECK(reader.welcome().server_time == 1700000000000);

  read_ok(reader, error_frame(RequestId{std::string("x\"y")}, ErrorCode::rate_limited, "slow down"));
  CHECK(reader.kind() == ServerFrameKind::error);
  CHECK(reader.re() == ReplyTo(RequestId{std::string("x\"y")}));
  CHECK(reader.error_frame().code == ErrorCode::rate_limited);
  CHECK(reader.error_frame().message == "slow down");

  read_ok(reader, created_frame(re, housing()));
  CHECK(reader.kind() == ServerFrameKind::created);
  CHECK(reader.created() == housing());

  Room breakout{"housing-g1", std::string(200, 'x') + " \u2014 group 1", RoomKind::breakout, "u-ada", 5,
                std::string("housing")};
  breakout.archived = true;
  read_ok(reader, rooms_frame(re, {RoomListing{housing(), 3, 40, 38, 2}, RoomListing{breakout, 0, 0, 0}},
                              std::string("housing-g1")));
  REQUIRE(reader.rooms().rooms.size() == 2);
  CHECK(reader.rooms().rooms[0].room == housing());
  CHECK(reader.rooms().rooms[0].online == 3);
  CHECK(reader.rooms().rooms[0].last_seq == 40);
  CHECK(reader.rooms().rooms[0].read == 38);
  CHECK(reader.rooms().rooms[0].mentions == 2);
  CHECK(reader.rooms().rooms[1].mentions == 0);
  CHECK(reader.rooms().rooms[1].room == breakout);
  CHECK(reader.rooms().next == std::optional<std::string>("housing-g1"));

  JoinedReply joined;
  joined.room = housing();
  joined.presence = {PresenceEntry{kAda, PresenceState::online, 10}, PresenceEntry{kBen, PresenceState::away, 20}};
  joined.messages = {full_message(), removed_message()};
  joined.head = 43;
  joined.recovered = true;
  joined.role = Role::facilitator;
  joined.session_json = R"({"hands":[],"poll":{"id":"p1","open":true}})";
  joined.online = 250;
  joined.presence_next = "cursor-2";
  read_ok(reader, joined_frame(re, joined));
  CHECK(reader.kind() == ServerFrameKind::joined);
  const JoinedReply& got = reader.joined();
  CHECK(got.room == joined.room);
  CHECK(got.presence == joined.presence);
  CHECK(got.messages == joined.messages);
  CHECK(got.head == 43);
  CHECK(got.recovered);
  CHECK(got.role == Role::facilitator);
  CHECK(got.session_json == joined.session_json);
  CHECK(got.online == joined.online);
  CHECK(got.presence_next == joined.presence_next);

  read_ok(reader, left_frame(re, "housing"));
  CHECK(reader.left() == "housing");

  read_ok(reader, sent_frame(re, "housing", 44, 1700000002000));
  CHECK(reader.kind() == ServerFrameKind::sent);
  CHECK(reader.sent().room == "housing");
  CHECK(reader.sent().seq == 44);
  CHECK(reader.sent().ts == 1700000002000);

  read_ok(reader, history_frame(re, "housing", {full_message(), removed_message()}));
  CHECK(reader.history().room == "housing");
  CHECK(reader.history().messages == std::vector<Message>{full_message(), removed_message()});

  read_ok(reader, message_event(full_message()));
  CHECK(reader.kind() == ServerFrameKind::message);
  CHECK_FALSE(reader.re().has_value());
  CHECK(reader.message() == full_message());
  // The reader reuses its values: what the next message lacks is gone, not left over.
  read_ok(reader, message_event(removed_message()));
  CHECK(reader.message() == removed_message());
  read_ok(reader, message_event(full_message()));
  CHECK(reader.message() == full_message());

  const std::string one = message_event(full_message());
  const std::string two = message_event(removed_message());
  read_ok(reader, message_batch_event("housing", {one, two}));
  CHECK(reader.kind() == ServerFrameKind::message_batch);
  CHECK(reader.message_batch().room == "housing");
  CHECK(reader.message_batch().messages == std::vector<Message>{full_message(), removed_message()});

  read_ok(reader, presence_event("housing", PresenceEvent::update, kBen, PresenceState::away));
  CHECK(reader.kind() == ServerFrameKind::presence);
  CHECK(reader.presence().room == "housing");
  CHECK(reader.presence().event == PresenceEvent::update);
  CHECK(reader.presence().user == kBen);
  CHECK(reader.presence().state == PresenceState::away);

  read_ok(reader, presence_page_frame(re, "housing", {PresenceEntry{kBen, PresenceState::online, 30}}, std::nullopt, 2));
  CHECK(reader.presence_page().room == "housing");
  CHECK(reader.presence_page().presence == std::vector<PresenceEntry>{PresenceEntry{kBen, PresenceState::online, 30}});
  CHECK(reader.presence_page().online == 2);
  CHECK_FALSE(reader.presence_page().next.has_value());

  const std::string join = presence_event("housing", PresenceEvent::join, kAda, PresenceState::online);
  const std::string leave = presence_event("housing", PresenceEvent::leave, kBen, PresenceState::online);
  read_ok(reader, presence_batch_event("housing", {join, leave}, 1));
  CHECK(reader.kind() == ServerFrameKind::presence_batch);
  REQUIRE(reader.presence_batch().changes.size() == 2);
  CHECK(reader.presence_batch().online == 1);
  CHECK(reader.presence_batch().changes[0].event == PresenceEvent::join);
  CHECK(reader.presence_batch().changes[0].user == kAda);
  CHECK(reader.presence_batch().changes[1].event == PresenceEvent::leave);
  CHECK(reader.presence_batch().changes[1].user == kBen);

  read_ok(reader, changed_frame(std::nullopt, "housing", 9, removed_message()));
  CHECK(reader.changed().room == "housing");
  CHECK(reader.changed().version == 9);
  CHECK(reader.changed().message == removed_message());

  read_ok(reader, found_frame(re, "housing", "rent arrears", {full_message()}, 42, 500));
  CHECK(reader.found().query == "rent arrears");
  CHECK(reader.found().messages == std::vector<Message>{full_message()});
  CHECK(reader.found().next == std::optional<std::int64_t>(42));
  CHECK(reader.found().scanned == 500);

  read_ok(reader, typing_event("housing", kAda, "budget"));
  CHECK(reader.kind() == ServerFrameKind::typing);
  CHECK(reader.typing().user == kAda);
  CHECK(reader.typing().topic == "budget");

  read_ok(reader, pong_frame(re));
  CHECK(reader.kind() == ServerFrameKind::pong);
  read_ok(reader, ok_frame(re));
  CHECK(reader.kind() == ServerFrameKind::ok);
}

TEST_CASE("ServerFrameReader: frames it does not decode are passed on as JSON", "[protocol][client]") {
  ServerFrameReader reader;
  read_ok(reader, R"({"type":"hands","room":"housing","queue":[{"id":"u-ada","name":"Ada","org":"x"}]})");
  CHECK(reader.kind() == ServerFrameKind::other);
  CHECK(reader.type() == "hands");
  CHECK_FALSE(reader.re().has_value());
  REQUIRE(reader.json().IsObject());
  CHECK(reader.json()["queue"].Size() == 1);
  read_ok(reader, R"({"type":"ok","re":5,"poll":"p3"})");
  CHECK(reader.kind() == ServerFrameKind::ok);
  CHECK(reader.re() == ReplyTo(RequestId{std::int64_t{5}}));
  CHECK(std::string(reader.json()["poll"].GetString()) == "p3");
}

TEST_CASE("ServerFrameReader: refuses what breaks the contract, naming the field", "[protocol][client]") {
  const std::string message = message_event(full_message());
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = message;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  CHECK_THAT(refused("not json"), Catch::Matchers::Contains("not valid JSON"));
  CHECK_THAT(refused("[1,2]"), Catch::Matchers::Contains("JSON object"));
  CHECK_THAT(refused(R"({"room":"a"})"), Catch::Matchers::Contains("'type'"));
  CHECK_THAT(refused(std::string("{\"type\":\"pong\"}\0x", 17)), Catch::Matchers::Contains("NUL"));
  CHECK_THAT(refused(with("\"seq\":42", "\"seq\":0")), Catch::Matchers::Contains("'seq'"));
  CHECK_THAT(refused(with("\"seq\":42", "\"seq\":\"42\"")), Catch::Matchers::Contains("'seq'"));
  CHECK_THAT(refused(with("\"room\":\"housing\"", "\"room\":\"Housing!\"")), Catch::Matchers::Contains("'room'"));
  CHECK_THAT(refused(with("\"room\":\"housing\",", "")), Catch::Matchers::Contains("'room' is required"));
  CHECK_THAT(refused(with("\"tag\":\"do\"", "\"tag\":\"sing\"")), Catch::Matchers::Contains("'tag'"));
  CHECK_THAT(refused(with("\"name\":\"Ben", "\"name\":\"\\uDC00Ben")), Catch::Matchers::Contains("'from.name'"));
  CHECK_THAT(refused(with("\"id\":\"u-ben\"", "\"id\":7")), Catch::Matchers::Contains("'from.id'"));
  CHECK_THAT(refused(R"({"type":"error","code":"oops","message":"?"})"), Catch::Matchers::Contains("'code'"));
  CHECK_THAT(refused(R"({"type":"sent","re":{"a":1},"room":"a","seq":1,"ts":1})"), Catch::Matchers::Contains("'re'"));
  CHECK_THAT(refused(R"({"type":"history","room":"a","messages":[{"type":"message"}]})"),
             Catch::Matchers::Contains("'messages[0].room'"));
  CHECK_THAT(refused(R"({"type":"presence","room":"a","event":"wave","user":{"id":"u","name":"U","org":""},"state":"online"})"),
             Catch::Matchers::Contains("'event'"));
  CHECK_THAT(refused(R"({"type":"welcome","user":{"id":"u","name":"U","org":"o"},"session":"","node":"n","server_time":1,"protocol":2})"),
             Catch::Matchers::Contains("'protocol'"));
  // Deep nesting is read without recursion, then refused by shape, not by a crash; a short frame
  // (parsed recursively) cannot nest deeper than it is long.
  CHECK_THAT(refused(R"({"type":"sent","room":)" + std::string(100000, '[') + std::string(100000, ']') + "}"),
             Catch::Matchers::Contains("'room'"));
  CHECK_THAT(refused(R"({"type":"sent","room":)" + std::string(1000, '[') + std::string(1000, ']') + "}"),
             Catch::Matchers::Contains("'room'"));
}

TEST_CASE("ServerFrameReader: a refused frame still tells its type and re; the next frame reads", "[protocol][client]") {
  ServerFrameReader reader;
  REQUIRE_FALSE(reader.read(R"({"type":"sent","re":9,"room":"a","seq":-1,"ts":1})"));
  CHECK(reader.type() == "sent");
  CHECK(reader.re() == ReplyTo(RequestId{std::int64_t{9}}));
  CHECK(reader.kind() == ServerFrameKind::other);
  read_ok(reader, sent_frame(RequestId{std::int64_t{10}}, "a", 1, 1));
  CHECK(reader.sent().seq == 1);
  // A frame larger than the reader's own buffers reads as well (the pools grow, then shrink back).
  Message big = full_message();
  big.text = std::string(200000, 'y');
  read_ok(reader, message_event(big));
  CHECK(reader.message().text.size() == 200000);
  read_ok(reader, message_event(full_message()));
  CHECK(reader.message() == full_message());
}

}  // namespace protocol_client_direction_test
