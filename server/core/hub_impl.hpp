// Private to the hub: its state and the steps of each command. Everything here runs on the strand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "outloud/protocol/server_frames.hpp"
#include "server/core/background_priority.hpp"
#include "server/core/hub.hpp"
#include "server/core/node_wide.hpp"
#include "server/core/room_census.hpp"
#include "server/core/room_members.hpp"
#include "server/core/room_sequencer.hpp"
#include "server/facilitation/engine.hpp"
#include "server/facilitation/state.hpp"
#include "server/net/token_bucket.hpp"

namespace outloud::core {

namespace asio = boost::asio;
namespace p = protocol;

// std::visit over lambdas: one overload per alternative.
template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;
using backend::Result;

// A session's breakout group: behind its session's walls (access, settings, membership).
inline bool is_group(const p::Room& room) { return room.kind == p::RoomKind::breakout && room.parent.has_value(); }
inline bool is_group_of(const p::Room& room, const std::string& session) {
  return is_group(room) && *room.parent == session;
}
// Whose membership decides who sees the room: its session's for a group, else its own.
inline const std::string& access_room_id(const p::Room& room) { return is_group(room) ? *room.parent : room.id; }

std::int64_t now_ms();

struct LocalRoom {
  p::Room meta;
  bool ready = false;  // subscribed on the bus and its sequencer primed
  bool preparing = false;
  std::vector<std::function<void(bool)>> ready_waiters;
  RoomSequencer sequencer;
  RoomMembers members;  // this strand's connections in the room
  RoomCensus::Share census;  // the room's members on the node (every strand); follows `members`
  int presence_online = 0;  // users present, as last counted for a presence batch
  // Joins waiting for their first-time participant to be recorded (see record_participants).
  struct WaitingParticipant {
    p::User user;
    std::function<void()> then;
  };
  std::vector<WaitingParticipant> participants_waiting;
  bool recording_participants = false;
  // The room's facilitation session as last loaded or announced on the bus.
  std::int64_t session_version = -1;  // -1: not loaded
  facilitation::SessionState session;
  // Presence changes for members with batched presence go out at most every
  // HubOptions::presence_flush_interval (see hub_presence.cpp).
  std::unique_ptr<asio::steady_timer> presence_timer;
  bool presence_flush_running = false;
  // Messages waiting for the room's next round (HubOptions::message_round_interval), in seq order.
  std::vector<std::pair<std::int64_t, Frame>> round_waiting;
  std::chrono::steady_clock::time_point last_round{};
  std::chrono::steady_clock::time_point round_opened{};  // when the first of round_waiting came
  std::int64_t round_sent_ms = 0;  // the `ts` of the oldest message in round_waiting
  // When the last message came, and the mean time between messages (a moving average): rounds
  // start once the room gets a message or more an interval.
  std::chrono::steady_clock::time_point last_message{};
  std::chrono::steady_clock::duration mean_gap{};
  std::unique_ptr<asio::steady_timer> round_timer;
  bool round_timer_armed = false;
  std::unique_ptr<asio::steady_timer> timer;
  std::int64_t timer_deadline = 0;
  // A failed read of missing messages is tried again on this timer, with backoff.
  std::unique_ptr<asio::steady_timer> fetch_retry;
  int fetch_failures = 0;
};

struct ConnState {
  std::shared_ptr<Connection> connection;
  std::optional<p::User> user;
  // accounts mode: who signed in, on which session (on the heap: an open-mode connection has none)
  std::unique_ptr<accounts::Identity> identity;
  std::string session_id;
  std::set<std::string> rooms;  // joined or being joined
  // Rooms joined again while already in them: the presence entry of the first join stands, so a
  // re-join that fails must take it away (see remove_member).
  std::set<std::string> rejoining;
  p::PresenceState presence_state = p::PresenceState::online;
  // A create, join, leave or facilitation frame holds its room until it is answered; later frames
  // of this connection about that room wait, so a client may pipeline "join, send".
  struct RoomQueue {
    std::uint64_t hold = 0;   // which hold: a late release of an earlier one must not free this one
    bool answered = false;    // the holding frame was answered: the next frame may go
    std::deque<p::ClientFrame> frames;
  };
  std::map<std::string, RoomQueue> waiting_on_room;  // by room
  std::size_t waiting_frames = 0;
  std::uint64_t holds_taken = 0;
  // Frames dispatched and not yet done with (see InFlight); with waiting_frames, capped.
  std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);
  // A `hello` is being checked off the strand: later frames wait for its answer, in order.
  bool authenticating = false;
  // A vector, not a deque: an empty deque holds a 512-byte block, and every connection has this.
  std::vector<p::ClientFrame> before_welcome;
  // The connection asked for `rooms`: it follows the live room list (room_list events) from then on.
  bool follows_room_list = false;
};

// Counts a frame as in flight for as long as anything that may still answer it lives.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<std::atomic<int>> count) : count_(std::move(count)) { ++*count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() { --*count_; }

 private:
  std::shared_ptr<std::atomic<int>> count_;
};

// A connection's hold on a room (see ConnState::waiting_on_room): released by the reply to the frame that
// took it, or at the latest when the last continuation that could answer it is gone.
class RoomHold {
 public:
  RoomHold(std::string room, std::uint64_t number, std::function<void()> on_release)
      : room(std::move(room)), number(number), on_release_(std::move(on_release)) {}
  RoomHold(const RoomHold&) = delete;
  RoomHold& operator=(const RoomHold&) = delete;
  ~RoomHold() { release(); }
  void release() {
    if (!on_release_) return;
    auto on_release = std::move(on_release_);
    on_release_ = nullptr;
    on_release();
  }

  const std::string room;
  const std::uint64_t number;

 private:
  std::function<void()> on_release_;
};

// A frame being carried out: its request id (answered as `re`), the hold on its room if it takes
// one, and its place among the connection's frames in flight.
struct Request {
  p::ReplyTo id;
  std::shared_ptr<RoomHold> hold;
  std::shared_ptr<InFlight> busy;
  operator const p::ReplyTo&() const { return id; }  // NOLINT: used wherever an id is
  explicit operator bool() const { return id.has_value(); }
};

class Hub::Impl : public std::enable_shared_from_this<Hub::Impl> {
 public:
  // The worker pools are shared by every strand of the node.
  Impl(asio::any_io_executor executor, Backends backends, HubOptions options, Authenticator authenticate,
       Metrics& metrics, std::shared_ptr<asio::thread_pool> workers, std::shared_ptr<asio::thread_pool> token_checks,
       std::shared_ptr<NodeWide> node);

  // Entry points (on the strand).
  void open(std::shared_ptr<Connection> connection);
  void handle(std::uint64_t conn_id, p::ClientFrame frame);
  void closed(std::uint64_t conn_id);
  void on_bus_event(backend::BusEvent event);
  void on_bus_reconnected();
  void export_markdown(p::Export request, backend::Callback<std::string> done,
                       std::vector<p::MemberInfo> permissions = {});
  void export_as(const accounts::Identity& who, const p::Export& request, backend::Callback<std::string> done);
  void drain(std::function<void()> done);
  // accounts mode: tells the other nodes of this node's sign-outs and starts the retention sweep.
  void start();
  // Subscribes this node to a channel of its own (sign-outs, notices): counted at once, so that
  // hears_other_nodes() is false until it is confirmed, then subscribed on the strand. Thread-safe.
  void subscribe_own_channel(std::string channel, std::string what);
  // Until this node's own channels are subscribed, what other nodes publish there is lost to it
  // (pub/sub keeps nothing): /healthz does not say "up" before. Thread-safe.
  bool hears_other_nodes() const { return own_channels_waiting_.load(std::memory_order_acquire) == 0; }
  void announce_expired(const std::string& room, const p::User& user);

  asio::strand<asio::any_io_executor>& strand() { return strand_; }
  const std::shared_ptr<asio::thread_pool>& workers() const { return workers_; }
  const std::shared_ptr<asio::thread_pool>& token_checks() const { return token_checks_; }

  // Runs `work` on the worker threads, then `then(result)` on the strand. Callable from any thread.
  template <class Work, class Then>
  void off_strand(Work work, Then then) {
    off_strand_on(*workers_, Priority::bulk, std::move(work), std::move(then));
  }

  // The same on the token-check thread, at the process's own priority: a `hello` is checked at
  // once, never behind a record being built on the bulk workers.
  template <class Work, class Then>
  void check_off_strand(Work work, Then then) {
    off_strand_on(*token_checks_, Priority::normal, std::move(work), std::move(then));
  }

  // Wraps a continuation so that a backend's answer, from any thread, runs on the strand. The
  // continuation is moved, never copied: it may hold everything read so far (a page of messages).
  // Backend callbacks are called once.
  template <class T, class F>
  backend::Callback<T> on_strand(F continuation) {
    return [self = shared_from_this(), continuation = std::move(continuation)](Result<T> result) mutable {
      asio::post(self->strand_, [continuation = std::move(continuation), result = std::move(result)]() mutable {
        continuation(std::move(result));
      });
    };
  }

 private:
  // subscribe_own_channel's work: at start the Redis bus may not be connected yet and refuses, so it
  // is tried again every 100 ms until it takes (and then counted as heard); `what` names the channel
  // in the log.
  void subscribe_until_ready(std::string channel, std::string what, int attempt = 0);
  void dispatch(std::uint64_t conn_id, p::ClientFrame frame);
  void release_room(std::uint64_t conn_id, const std::string& room, std::uint64_t hold);
  std::shared_ptr<RoomHold> hold_room(std::uint64_t conn_id, const std::string& room);
  // Sends the reply to a frame and releases the room it held.
  void reply(std::uint64_t conn_id, const Request& re, std::string frame);

  // Replies.
  void send_to(std::uint64_t conn_id, std::string frame);
  void fail(std::uint64_t conn_id, const Request& re, p::ErrorCode code, std::string message);
  void fail(std::uint64_t conn_id, const Request& re, const backend::Error& error);
  ConnState* connection(std::uint64_t conn_id);
  LocalRoom* local_room(const std::string& room);
  bool is_active_member(std::uint64_t conn_id, const std::string& room);

  // Commands.
  void on_hello(std::uint64_t conn_id, const Request& re, const p::Hello& hello);
  void on_create(std::uint64_t conn_id, const Request& re, const p::Create& create);
  void on_rooms(std::uint64_t conn_id, const Request& re, const p::ListRooms& list);
  void on_join(std::uint64_t conn_id, const Request& re, const p::Join& join);
  void on_leave(std::uint64_t conn_id, const Request& re, const p::Leave& leave);
  void on_send(std::uint64_t conn_id, const Request& re, const p::Send& send);
  void on_history(std::uint64_t conn_id, const Request& re, const p::History& history);
  void on_typing(std::uint64_t conn_id, const Request& re, const p::Typing& typing);
  void on_status(std::uint64_t conn_id, const Request& re, const p::Status& status);
  void on_facilitation(std::uint64_t conn_id, const Request& re, const p::ClientBody& body);
  void on_export(std::uint64_t conn_id, const Request& re, const p::Export& request);

  // access.md (hub_access.cpp).
 public:
  // A room as one person may see it: the room, and their membership of it (or of its parent, for a
  // breakout group). `visible` false: answer as if it did not exist.
  struct RoomAccess {
    p::Room room;
    bool visible = true;
    std::optional<accounts::Membership> membership;
  };
  using AccessNext = std::function<void(Result<std::optional<RoomAccess>>)>;

 private:
  bool accounts_mode() const { return backends_.accounts != nullptr; }
  // accounts mode: while connections are open on a session, its stored last use is refreshed (each
  // connection every Accounts::session_touch_interval), so it does not lapse while in use.
  void keep_sessions_in_use();
  void note_sessions_in_use();
  std::unique_ptr<asio::steady_timer> sessions_in_use_timer_;
  bool sessions_in_use_armed_ = false;
  void on_hello_accounts(std::uint64_t conn_id, const Request& re, const p::Hello& hello);
  void on_access_frame(std::uint64_t conn_id, const Request& re, const p::ClientBody& body);
  // The room as `user` may see it; none if it does not exist. Open and jwt modes: always visible.
  void room_access(const p::User& user, const std::string& room, AccessNext next);
  bool sees(const p::User& user, const p::Room& room, const std::set<std::string>& member_of) const;
  // Which of `rooms` the person may not see (or that do not exist), found with room_access.
  void hidden_rooms(const p::User& user, std::set<std::string> rooms, std::function<void(std::set<std::string>)> done);
  void on_invitations(std::uint64_t conn_id, const Request& re, const accounts::Identity& who);
  // The user's role in the room: owner, else the facilitation state's (loaded from the store).
  void role_in(const p::Room& room, const std::string& user, std::function<void(Result<p::Role>)> next);
  // Answers `re` with `not_found` unless the room exists and is visible to the connection's person.
  void with_visible_room(std::uint64_t conn_id, const Request& re, const std::string& room,
                         std::function<void(RoomAccess)> next);
  void on_room_settings(std::uint64_t conn_id, const Request& re, const p::RoomSettings& settings);
  void on_members(std::uint64_t conn_id, const Request& re, const p::ListMembers& request);
  void on_add(std::uint64_t conn_id, const Request& re, const p::AddMember& add);
  void on_remove(std::uint64_t conn_id, const Request& re, const p::RemoveMember& remove);
  void on_invite(std::uint64_t conn_id, const Request& re, const p::Invite& invite);
  void on_set_role(std::uint64_t conn_id, const Request& re, const p::SetRole& set);
  // Why a room's `label` or `visibility` (at `create` or by `room`) is refused, if it is.
  std::optional<std::string> settings_refusal(const std::optional<std::string>& label,
                                              const std::optional<p::Visibility>& visibility) const;
  // A membership's role (an invitation's facilitator or observer) made the room's, unless the room
  // already gives the person a role; then `done`, with the error if it could not be given.
  void give_membership_role(const p::Room& room, const p::User& user, p::Role role,
                            std::function<void(std::optional<backend::Error>)> done);
  void publish_control(const std::string& room, std::string json);
  void on_control(const backend::BusEvent& event);
  void close_session(const std::string& session_id);
  void evict(const std::string& room, const std::string& user);
  // Closes the person's presence in every breakout group of `session`, on every node (a `remove`).
  void evict_from_groups(const std::string& session, const std::string& user, std::function<void()> done);
  // A breakout group is behind its session's walls: it takes the session's organisation, owner,
  // visibility, label and retention. True if `group` changed.
  static bool follow_session(p::Room& group, const p::Room& session);
  // The stored group made to follow `session` (kept, refreshed on every node, told to the room list).
  void align_group(const std::string& group, const p::Room& session, std::function<void()> done);
  // Every group room `session` ever had, after the session's settings changed.
  void align_groups_of(const p::Room& session, std::function<void()> done);
  // At start: group rooms stored before groups followed their session, a page of rooms at a time.
  void align_breakout_rooms(std::string after = {});
  void schedule_retention();
  void sweep_retention(std::string after = {});
  void apply_retention(const p::Room& room);

  // Joining, step by step.
  void with_ready_room(const std::string& room, std::function<void(LocalRoom*, std::optional<backend::Error>)> next);
  void prepare_room(const std::string& room);
  void finish_prepare(const std::string& room, bool ok);
  // The room found and visible: present, then the snapshot.
  void join_enter(std::uint64_t conn_id, Request re, p::Join join);
  void join_read_snapshot(std::uint64_t conn_id, Request re, p::Join join);
  void join_finish(std::uint64_t conn_id, Request re, p::Join join, backend::Page page, bool recovered);
  void join_reply(std::uint64_t conn_id, Request re, p::Join join, backend::Page page, bool recovered);
  void abandon_join(std::uint64_t conn_id, const std::string& room);
  void record_participants(const std::string& room);
  // Leaving: drops the member; announces `leave` if it was the user's last connection.
  void remove_member(std::uint64_t conn_id, const std::string& room);
  void drop_room_if_empty(const std::string& room);

  // Delivery.
  void apply_sequencer(const std::string& room, RoomSequencer::Actions actions);
  void fetch_missing(const std::string& room, RoomSequencer::Fetch fetch);
  void retry_fetch_later(LocalRoom& room);
  void emit_message(LocalRoom& room, std::int64_t seq, const Frame& frame);
  // Sends the messages waiting for the room's round. Called before anything else goes to the
  // room's members, so that nothing overtakes a message.
  void deliver_round(LocalRoom& room);
  void deliver_event(LocalRoom& room, const backend::BusEvent& event);
  void publish_event(const std::string& room, std::string frame, std::string exclude_user = {},
                     std::vector<std::string> only_users = {},
                     backend::Callback<backend::Unit> published = nullptr,
                     backend::BusEvent::Kind kind = backend::BusEvent::Kind::event);  // any thread
  // What the room index hands out goes to the connection (if it is still open).
  auto send_to_member() {
    // Each member keeps its connection at hand: no lookup per delivery.
    return [](const RoomMembers::Member& member, const Frame& frame) {
      if (member.connection) member.connection->send(frame);
    };
  }
  // Messages sent at `sent_ms` (the oldest of them), for the delivery-latency histogram.
  auto send_messages_to_member(std::int64_t sent_ms) {
    return [sent_ms](const RoomMembers::Member& member, const Frame* frames, std::size_t count, std::size_t messages) {
      if (!member.connection || count == 0) return;
      member.connection->send_many(frames, count, MessageOrigin{sent_ms, static_cast<std::uint32_t>(messages / count)});
    };
  }

  // Presence (hub_presence.cpp).
  // A `presence` event about `user` for the others in the room.
  void publish_presence(const std::string& room, std::string frame, std::string user_id,
                        backend::Callback<backend::Unit> published = nullptr);
  void deliver_presence(LocalRoom& room, const backend::BusEvent& event);
  void schedule_presence_flush(LocalRoom& room, bool just_flushed);
  void flush_presence(const std::string& room);
  void on_presence_page(std::uint64_t conn_id, const Request& re, const p::PresencePage& page);
  std::string conn_key(std::uint64_t conn_id) const;

  // Facilitation.
  void ensure_state(const std::string& room, std::function<void(std::optional<backend::Error>)> next);
  void adopt_state(LocalRoom& room, std::int64_t version, facilitation::SessionState state);
  void schedule_timer(LocalRoom& room);
  void fire_timer(const std::string& room);
  // The person left the room everywhere: their raised hand goes down (and everyone gets `hands`).
  void lower_hand_of_leaver(const std::string& room, const std::string& user_id);
  using Transition = std::function<facilitation::Outcome(const facilitation::SessionState&, const p::Room&,
                                                         const std::vector<p::PresenceEntry>&)>;
  // Loads the latest state, applies `transition`, saves with compare-and-set (retrying on conflict),
  // then carries out the outcome's effects and calls `done` with it. One room's transactions on
  // this node run one after another, each on the state the one before left: a burst of votes does
  // not race itself into conflicts (compare-and-set is left for races between nodes).
  void transact(const std::string& room, Transition transition, bool needs_presence,
                std::function<void(Result<facilitation::Outcome>)> done);
  void transact_now(const std::string& room, Transition transition, bool needs_presence,
                    std::function<void(Result<facilitation::Outcome>)> done, int attempt);
  void next_transaction(const std::string& room);
  // Rooms with a transaction under way on this node, and the ones waiting their turn.
  std::unordered_map<std::string, std::deque<std::function<void()>>> state_queues_;
  void carry_out(const std::string& room, const p::User& actor, facilitation::Outcome outcome,
                 std::function<void()> done);
  void append_as(const p::User& actor, const std::string& room, std::string text, std::function<void()> done);
  facilitation::Context session_context(const p::Room& meta, std::vector<p::PresenceEntry> present = {},
                                        std::uint64_t seed = 0) const;

  // ---- the live room list and notices to people (hub_room_events.cpp) ----
 public:
  // Subscribes to the notice channel that carries room-list changes, mentions and read markers to
  // every node. Thread-safe.
  void subscribe_notices();
  // accounts mode: subscribes to sign-outs on other nodes. Thread-safe.
  void subscribe_sign_outs();
  bool is_notice(const backend::BusEvent& event) const;
  void on_notice(const backend::BusEvent& event);

 private:
  // Tells everyone who may see `room` (on every node) that it is new or changed; when it has just
  // become private, those who no longer see it are told to drop it (and nobody else learns its id).
  void announce_room(const p::Room& room, bool became_private = false);
  // Sends `frame` to every connection of these users, on every node.
  void notify_users(std::vector<std::string> users, std::string frame);
  // The `rooms` reply, with each room's last seq and the person's read marker.
  // A `rooms` request being read from the store, raw page by raw page (see on_rooms).
  struct RoomsScan {
    int limit = 0;
    bool archived = false;
    std::optional<std::set<std::string>> member_of;  // accounts mode: filters what the person sees
    std::string cursor;     // the last room read from the store
    std::string last_seen;  // the last room read that the person sees
    int raw_pages = 0;
    std::vector<p::Room> page;
  };
  // At most this many raw pages (of kMaxRoomsPage + 1 rooms) are read for one filtered request.
  static constexpr int kMaxRoomsScanPages = 20;
  // A guest's memberships listed (a guest is invited into one room at a time), and a session's
  // breakout groups read with each (the `groups` of a breakout: at most 50).
  static constexpr std::size_t kMaxGuestRoomsListed = 100;
  static constexpr int kMaxBreakoutGroups = 50;
  void scan_rooms(std::uint64_t conn_id, const Request& re, RoomsScan scan);
  void list_guest_rooms(std::uint64_t conn_id, const Request& re, RoomsScan scan);
  void send_rooms_page(std::uint64_t conn_id, const Request& re, std::vector<p::Room> page,
                       std::optional<std::string> next);
  void finish_rooms_listing(std::uint64_t conn_id, const Request& re, std::vector<p::RoomListing> listing,
                            std::optional<std::string> next);
  // Breakout groups: archived when their groups close, listed again when they reopen.
  void note_breakout_rooms(const std::string& session, const facilitation::Outcome& outcome);
  void set_archived(const std::string& room, bool archived);

  // ---- topics, read markers, mentions (hub_topics.cpp) ----
  void on_topics(std::uint64_t conn_id, const Request& re, const p::ListTopics& list);
  void on_mark_read(std::uint64_t conn_id, const Request& re, const p::MarkRead& read);
  // A stored message that names people (`@Display Name`) sends each of them a `mention` event.
  void note_mentions(const p::Message& message);
  void tell_mentioned(const std::string& room, std::int64_t seq, std::vector<std::string> named, std::string frame);

  // ---- admission (hub_admission.cpp): every request's cost is bounded ----
  // False (and answered rate_limited) when the connection has too many frames in flight.
  bool admit_frame(std::uint64_t conn_id, ConnState& conn, const p::ReplyTo& id);
  // Per-user token bucket and the total, then `create`; or an answer saying which limit was hit.
  void admit_create(std::uint64_t conn_id, const Request& re, std::function<void()> create);
  void route(std::uint64_t conn_id, p::ClientFrame frame);
  // accounts mode: `identity` is who signed in, on which session.
  void finish_hello(std::uint64_t conn_id, const Request& re, Result<p::User> user,
                    std::optional<accounts::Identity> identity = std::nullopt);
  // The history page trimmed to the byte budget and serialized, off the strand; sent from it.
  void answer_history(std::uint64_t conn_id, const Request& re, std::string room, bool keep_newest,
                      Result<backend::Page> page);
  // History pages read at once on this node (every strand): a page can be 200 large messages, and
  // the store serves everyone's sends too. `read` runs when a slot is free; the answer frees it.
  void with_history_slot(std::function<void()> read);
  void history_slot_done();
  // Breakout groups follow their session's roles.
  void sync_group_roles(const std::string& session, std::vector<std::string> groups, std::function<void()> done);

  // ---- edits, removal and search (hub_messages.cpp) ----
  void on_edit(std::uint64_t conn_id, const Request& re, const p::Edit& edit);
  void on_delete(std::uint64_t conn_id, const Request& re, const p::Delete& remove);
  void on_remove_message(std::uint64_t conn_id, const Request& re, const p::RemoveMessage& remove);
  void on_changes(std::uint64_t conn_id, const Request& re, const p::Changes& changes);
  void on_search(std::uint64_t conn_id, const Request& re, const p::Search& search);
  void change_message(std::uint64_t conn_id, const Request& re, backend::ChangeRequest request);
  void answer_page(std::uint64_t conn_id, const Request& re, std::function<Result<std::string>()> build);
  // On the strand: sends a page built off it (or its error) and frees its history slot.
  void answer_large(std::uint64_t conn_id, const Request& re, Result<std::string> frame);

  enum class Priority { normal, bulk };
  template <class Work, class Then>
  void off_strand_on(asio::thread_pool& pool, Priority priority, Work work, Then then) {
    asio::post(pool, [weak = weak_from_this(), strand = strand_, priority, work = std::move(work),
                      then = std::move(then)]() mutable {
      if (priority == Priority::bulk) run_at_bulk_priority();
      auto result = work();
      asio::post(strand, [weak, result = std::move(result), then = std::move(then)]() mutable {
        if (auto self = weak.lock()) then(std::move(result));
      });
    });
  }

  void write_started() { ++writes_in_flight_; }
  void write_finished();

  asio::strand<asio::any_io_executor> strand_;
  std::atomic<int> own_channels_waiting_{0};
  // Work kept off the strand. Shared with the Hub handle, which joins it when it goes (no worker
  // must be the one to destroy it).
  std::shared_ptr<asio::thread_pool> workers_;
  // One thread for `hello` token checks (open and jwt modes), joined by the Hub handle like workers_.
  std::shared_ptr<asio::thread_pool> token_checks_;
  std::shared_ptr<NodeWide> node_;  // shared by the node's strands
  Backends backends_;
  HubOptions options_;
  Authenticator authenticate_;
  Metrics& metrics_;
  std::map<std::uint64_t, ConnState> connections_;
  std::map<std::string, std::unique_ptr<LocalRoom>> rooms_;
  bool draining_ = false;
  std::unique_ptr<asio::steady_timer> retention_timer_;
  int writes_in_flight_ = 0;
  std::vector<std::function<void()>> drain_waiters_;
  // Runs `work` on this strand once `slots` has a slot for it (at once if one is free); the work
  // releases it.
  void with_slot(SharedSlots& slots, std::function<void()> work);
  void start_export(p::Export request, backend::Callback<std::string> done, std::vector<p::MemberInfo> permissions);
  // Large replies (records, pages of big messages) are big short-lived allocations, freed on the
  // I/O threads once written. Their memory is given back to the system (malloc_trim, on a worker)
  // kTrimDelay after a large reply, at most once per kTrimDelay while they keep coming: trimming
  // after each one would unmap and map the same pages again and again, and every unmapping
  // interrupts all the process's threads on every core (TLB shootdowns), the I/O threads included.
  static constexpr std::chrono::milliseconds kTrimDelay{1000};
  void trim_memory_soon();
  std::unique_ptr<asio::steady_timer> trim_timer_;
  bool trim_armed_ = false;
};

}  // namespace outloud::core
