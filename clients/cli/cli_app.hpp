// The `outloud` command-line client: one WebSocket session, lines from stdin, frames to stdout.
// Scripted mode prints every server frame as one JSON line and exits when its requests are
// answered; interactive mode renders events for people and reconnects on its own.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "outloud/protocol/server_frame_reader.hpp"
#include "ws_url.hpp"
#include "ws_session.hpp"

namespace outloud::client {

struct CliOptions {
  std::string url_text;
  WsUrl url;
  std::string name;
  std::string org;
  std::string token;
  std::string room;     // joined at start when not empty
  bool scripted = false;
  int wait_ms = 5000;   // scripted: longest wait for one reply
  int linger_ms = 0;    // scripted: keep printing events this long after the last reply
};

// Exit codes of the program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUsage = 2;

class CliApp {
 public:
  CliApp(boost::asio::io_context& io, CliOptions options);
  int run();  // returns the exit code

 private:
  struct PresenceView {
    std::string name;
    std::string org;
    std::string state;
  };
  struct RoomView {
    std::string title;
    std::int64_t last_seq = 0;  // highest seq printed: rejoins ask for everything after it
    std::map<std::string, PresenceView> presence;  // by user id
    int online = 0;  // users present, as the server last counted them
  };
  struct PendingRequest {
    std::string type;
    std::string room;
    std::string frame;  // interactive sends are resent (same nonce) after a reconnect
    bool resend = false;  // not yet sent on the current connection
    bool exists_ok = false;  // `/create -p`
  };

  void connect();
  void on_open();
  void on_text(std::string_view text);
  void on_closed(const std::string& why, bool was_open);
  void send_hello();

  void read_stdin_in_background();
  void on_line(std::string line);
  void on_input_end();

  // scripted mode
  void pump_script();
  void arm_reply_timer(const std::string& re);
  void finish_script();
  void on_script_frame(std::string_view text, bool valid);

  // interactive mode
  void handle_interactive_line(const std::string& line);
  void run_interactive_line(const std::string& line);
  // Lines typed before the first connection, or while a /join is unanswered, wait in order: a
  // pasted "/join room" and the lines after it then go as typed, into that room.
  bool must_hold(const std::string& line) const;
  bool join_in_flight() const;
  void release_held_lines();
  void on_interactive_frame();
  void render_message(const protocol::Message& message, bool from_history);
  // What was printed is read: the server's marker of the room follows, at most once a second a
  // room, so `/rooms` (and the person's other devices) count unread only what they have not seen.
  void note_shown(const std::string& room, std::int64_t seq);
  void send_read_markers();
  void on_joined(const protocol::JoinedReply& joined);
  static std::string presence_text(const protocol::PresenceChange& change);
  // Large rooms: the rest of the presence list, page by page, and coalesced changes.
  void request_presence_page(const std::string& room, std::string_view after);
  void add_presence_entries(RoomView& view, const std::vector<protocol::PresenceEntry>& entries);
  // Applies one `presence` event; true if it changed who is present (or their state).
  bool apply_presence_change(const protocol::PresenceChange& change);
  void rejoin_rooms();
  void schedule_reconnect(const std::string& why);
  void print(const std::string& text);  // one block of output, above the prompt
  void show_prompt();
  void show_who(const std::string& room);
  void quit(int code);

  // shared bookkeeping of confirmed joins/leaves, from the frame just read
  void track_room_change();
  void track_open_poll();

  using Kind = protocol::ServerFrameKind;

  boost::asio::io_context& io_;
  CliOptions options_;
  std::shared_ptr<WsSession> session_;
  protocol::ServerFrameReader frame_;  // the server's frame being handled
  boost::asio::steady_timer reply_timer_;
  boost::asio::steady_timer pause_timer_;
  boost::asio::steady_timer read_timer_;
  bool read_timer_armed_ = false;
  std::map<std::string, std::int64_t> unsent_reads_;  // room -> highest seq shown, not yet told
  ComposeState compose_;
  std::int64_t next_id_ = 1;
  bool connected_ = false;
  bool welcomed_ = false;
  bool ever_welcomed_ = false;
  bool quitting_ = false;
  int exit_code_ = kExitOk;
  std::string hello_re_;
  std::string self_id_;      // the signed-in user's id
  std::string exists_ok_re_;  // scripted: the `/create -p` request whose conflict is no failure

  // scripted mode
  std::deque<std::string> script_lines_;
  bool input_ended_ = false;
  bool sleeping_ = false;
  bool unreplied_frames_ = false;  // frames sent without an id since the last reply
  std::optional<std::string> awaiting_;  // `re` of the one request in flight
  std::string barrier_re_;               // our own ping: its pong is not printed
  int line_number_ = 0;

  // interactive mode
  bool stdout_is_tty_ = false;
  std::map<std::string, RoomView> rooms_;  // joined rooms
  std::map<std::string, PendingRequest> pending_;  // by re
  int reconnect_attempt_ = 0;
  std::deque<std::string> held_lines_;
};

}  // namespace outloud::client
