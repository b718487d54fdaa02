#include "cli_app.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include "display.hpp"
#include "event_lines.hpp"
#include "outloud/protocol/client_serialize.hpp"

namespace outloud::client {
namespace asio = boost::asio;

namespace {

std::string compact_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// `re` of a reply as JSON text, comparable with the ids we sent.
std::optional<std::string> reply_to_of(const protocol::ServerFrameReader& frame) {
  if (!frame.re()) return std::nullopt;
  if (const auto* number = std::get_if<std::int64_t>(&*frame.re())) return std::to_string(*number);
  const std::string& text = std::get<std::string>(*frame.re());
  return compact_json(rapidjson::Value(rapidjson::StringRef(text.data(), text.size())));
}

}  // namespace

CliApp::CliApp(asio::io_context& io, CliOptions options)
    : io_(io), options_(std::move(options)), reply_timer_(io), pause_timer_(io), read_timer_(io) {
  stdout_is_tty_ = !options_.scripted && ::isatty(STDOUT_FILENO);
  compose_.paged_presence = !options_.scripted;
}

int CliApp::run() {
  auto guard = asio::make_work_guard(io_);  // stdin lines arrive from another thread
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) quit(options_.scripted ? 130 : kExitOk);
  });
  if (options_.scripted && !options_.room.empty()) script_lines_.push_back("/join " + options_.room);
  connect();
  read_stdin_in_background();
  io_.run();
  std::fflush(stdout);
  return exit_code_;
}

// ---------------------------------------------------------------- connection

void CliApp::connect() {
  WsSession::Handlers handlers;
  handlers.on_open = [this] { on_open(); };
  handlers.on_text = [this](std::string_view text) { on_text(text); };
  handlers.on_closed = [this](const std::string& why, bool was_open) { on_closed(why, was_open); };
  session_ = std::make_shared<WsSession>(io_.get_executor(), WsSession::Options{}, std::move(handlers));
  session_->connect(options_.url.host, options_.url.port, options_.url.host_header(), options_.url.target);
}

void CliApp::on_open() {
  connected_ = true;
  send_hello();
}

void CliApp::send_hello() {
  const std::int64_t id = next_id_++;
  protocol::Hello hello;
  if (!options_.token.empty()) {
    hello.token = options_.token;
  } else {
    hello.name = options_.name;
    hello.org = options_.org;
  }
  hello_re_ = std::to_string(id);
  session_->send(protocol::client_frame_json(id, hello));
  if (options_.scripted) {
    awaiting_ = hello_re_;
    arm_reply_timer(hello_re_);
  }
}

void CliApp::on_text(std::string_view text) {
  const bool valid = frame_.read(text);
  if (options_.scripted) return on_script_frame(text, valid);
  if (!valid) return print("! the server sent a frame this client cannot read: " + terminal_safe(frame_.error()));
  on_interactive_frame();
}

void CliApp::on_closed(const std::string& why, bool was_open) {
  connected_ = false;
  welcomed_ = false;
  if (quitting_) {
    io_.stop();
    return;
  }
  if (options_.scripted || !ever_welcomed_) {
    if (was_open) {
      std::fprintf(stderr, "outloud: connection closed: %s\n", why.c_str());
    } else {
      std::fprintf(stderr, "outloud: cannot connect to %s: %s\n", options_.url_text.c_str(), why.c_str());
    }
    exit_code_ = kExitUsage;
    quitting_ = true;
    io_.stop();
    return;
  }
  schedule_reconnect(why);
}

void CliApp::quit(int code) {
  exit_code_ = std::max(exit_code_, code);
  if (quitting_) return;
  quitting_ = true;
  reply_timer_.cancel();
  pause_timer_.cancel();
  read_timer_.cancel();
  if (connected_ && session_) {
    send_read_markers();  // what was on screen before /quit was seen
    session_->close();  // on_closed stops the loop
  } else {
    io_.stop();
  }
}

// ---------------------------------------------------------------- stdin

void CliApp::read_stdin_in_background() {
  // A plain thread: stdin may be a file, a pipe or a terminal, and a blocking read here never
  // holds up the WebSocket's thread. It is detached; the process exits without joining it.
  std::thread([this] {
    std::string line;
    while (std::getline(std::cin, line)) asio::post(io_, [this, line] { on_line(line); });
    asio::post(io_, [this] { on_input_end(); });
  }).detach();
}

void CliApp::on_line(std::string line) {
  if (quitting_) return;
  if (options_.scripted) {
    script_lines_.push_back(std::move(line));
    pump_script();
  } else {
    handle_interactive_line(line);
  }
}

void CliApp::on_input_end() {
  if (quitting_) return;
  if (options_.scripted) {
    input_ended_ = true;
    pump_script();
  } else {
    quit(kExitOk);
  }
}

// ---------------------------------------------------------------- scripted mode

void CliApp::arm_reply_timer(const std::string& re) {
  reply_timer_.expires_after(std::chrono::milliseconds(options_.wait_ms));
  reply_timer_.async_wait([this, re](boost::system::error_code ec) {
    if (ec || !awaiting_ || *awaiting_ != re) return;
    std::fprintf(stderr, "outloud: no reply to request %s within %d ms\n", re.c_str(), options_.wait_ms);
    quit(kExitUsage);
  });
}

void CliApp::on_script_frame(std::string_view text, bool valid) {
  // A frame that breaks the protocol is still printed, and still answers the request it names.
  const auto re = reply_to_of(frame_);
  const bool ours = re && *re == barrier_re_;
  if (!ours) {
    // Exactly the server's JSON on one line (JSON whitespace outside strings may be a newline).
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  if (!valid) {
    std::fprintf(stderr, "outloud: the server sent a frame this client cannot read: %s\n",
                 terminal_safe(frame_.error()).c_str());
  }
  const auto kind = valid ? frame_.kind() : Kind::other;
  // `/create -p`: the room being there already is what was wanted.
  const bool exists_ok = re && exists_ok_re_ == *re && kind == Kind::error &&
                         frame_.error_frame().code == protocol::ErrorCode::conflict;
  if (kind == Kind::error && !exists_ok) {
    exit_code_ = std::max(exit_code_, kExitServerError);
    if (re && *re == hello_re_) {
      std::fprintf(stderr, "outloud: the server refused hello: %s\n", terminal_safe(frame_.error_frame().message).c_str());
      return quit(kExitServerError);
    }
  }
  if (kind == Kind::welcome && re && *re == hello_re_) {
    welcomed_ = true;
    ever_welcomed_ = true;
    self_id_ = frame_.welcome().user.id;
  }
  if (valid) {
    track_room_change();
    track_open_poll();
  }
  if (re && awaiting_ && *re == *awaiting_) {
    awaiting_.reset();
    reply_timer_.cancel();
    // Replies come in order, so every earlier frame without an id has been dealt with too.
    unreplied_frames_ = false;
  }
  pump_script();
}


// `/vote <n>` and `/poll close` name the room's open poll, as the latest poll event or joined told it.
void CliApp::track_open_poll() {
  std::optional<PollState> poll;
  std::string room;
  // The reply to `/poll open` names the new poll: it may come before the poll event.
  if (frame_.kind() == Kind::ok) {
    if (std::string id = new_poll_id(frame_.json()); !id.empty() && !compose_.current_room.empty())
      compose_.open_poll[compose_.current_room] = std::move(id);
    return;
  }
  if (frame_.kind() == Kind::other && frame_.type() == "poll") {
    poll = poll_state(frame_.json());
    if (const auto it = frame_.json().FindMember("room"); it != frame_.json().MemberEnd() && it->value.IsString())
      room = it->value.GetString();
  } else if (frame_.kind() == Kind::joined) {
    room = frame_.joined().room.id;
    rapidjson::Document session;
    session.Parse(frame_.joined().session_json.c_str());
    if (!session.HasParseError()) poll = poll_state(session);
    if (!poll) compose_.open_poll.erase(room);
  }
  if (!poll || room.empty()) return;
  if (poll->open) compose_.open_poll[room] = poll->id;
  else if (compose_.open_poll.contains(room) && compose_.open_poll[room] == poll->id) compose_.open_poll.erase(room);
}

void CliApp::track_room_change() {
  if (frame_.kind() == Kind::joined) {
    if (options_.scripted) compose_.current_room = frame_.joined().room.id;
  } else if (frame_.kind() == Kind::left) {
    const std::string& room = frame_.left();
    rooms_.erase(room);
    if (compose_.current_room == room) compose_.current_room = rooms_.empty() ? "" : rooms_.begin()->first;
  }
}

void CliApp::pump_script() {
  if (quitting_ || !welcomed_ || awaiting_ || sleeping_) return;
  while (!script_lines_.empty()) {
    const std::string line = std::move(script_lines_.front());
    script_lines_.pop_front();
    ++line_number_;
    LineOutcome outcome = translate_line(line, compose_, next_id_);
    if (!outcome.error.empty()) {
      std::fprintf(stderr, "outloud: line %d: %s\n", line_number_, outcome.error.c_str());
      exit_code_ = kExitUsage;
      continue;
    }
    switch (outcome.action) {
      case LocalAction::quit:
        script_lines_.clear();
        input_ended_ = true;
        break;
      case LocalAction::sleep:
        sleeping_ = true;
        pause_timer_.expires_after(std::chrono::milliseconds(outcome.sleep_ms));
        pause_timer_.async_wait([this](boost::system::error_code ec) {
          if (ec) return;
          sleeping_ = false;
          pump_script();
        });
        return;
      case LocalAction::help:
        std::fputs(std::string(command_help()).c_str(), stderr);
        break;
      case LocalAction::who:
        // A script asked for something it cannot have: it fails (the joined frame lists presence).
        std::fprintf(stderr, "outloud: line %d: /who is interactive only; the joined frame lists presence\n",
                     line_number_);
        exit_code_ = std::max(exit_code_, kExitUsage);
        break;
      case LocalAction::none:
        break;
    }
    if (!outcome.note.empty()) std::fprintf(stderr, "outloud: %s\n", outcome.note.c_str());
    if (outcome.frame.empty()) continue;
    if (outcome.exists_ok && outcome.re) exists_ok_re_ = *outcome.re;
    session_->send(std::move(outcome.frame));
    if (outcome.re) {
      // One request at a time: a script's `join` is confirmed before its `send` goes out.
      awaiting_ = *outcome.re;
      arm_reply_timer(*outcome.re);
      return;
    }
    unreplied_frames_ = true;
  }
  if (!input_ended_) return;
  if (unreplied_frames_) {
    // Frames without an id get no reply unless they fail. A ping of our own, answered after them,
    // tells us that any error they caused has arrived.
    const std::string barrier_id = "outloud-cli-barrier-" + std::to_string(next_id_++);
    barrier_re_ = "\"" + barrier_id + "\"";
    session_->send(protocol::client_frame_json(barrier_id, protocol::Ping{}));
    awaiting_ = barrier_re_;
    arm_reply_timer(barrier_re_);
    return;
  }
  finish_script();
}

void CliApp::finish_script() {
  if (options_.linger_ms > 0) {
    const int linger = std::exchange(options_.linger_ms, 0);
    sleeping_ = true;
    pause_timer_.expires_after(std::chrono::milliseconds(linger));
    pause_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      sleeping_ = false;
      pump_script();
    });
    return;
  }
  quit(kExitOk);
}

// ---------------------------------------------------------------- interactive mode

void CliApp::print(const std::string& text) {
  std::string out;
  if (stdout_is_tty_) out = "\r\033[K";  // erase the prompt line, print above a fresh prompt
  out += text;
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  show_prompt();
}

void CliApp::show_prompt() {
  if (stdout_is_tty_) {
    const std::string prompt =
        (compose_.current_room.empty() ? std::string() : "[" + compose_.current_room + "]") + "> ";
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  }
  std::fflush(stdout);
}

namespace {
// Beyond this many waiting lines, a line is refused rather than kept (a paste of a whole file
// into a prompt that cannot connect).
constexpr std::size_t kMaxHeldLines = 1000;
}  // namespace

bool CliApp::join_in_flight() const {
  for (const auto& [id, request] : pending_) {
    if (request.type == "join") return true;
  }
  return false;
}

bool CliApp::must_hold(const std::string& line) const {
  if (!ever_welcomed_) return line != "/quit";  // never connected: /quit must still work
  if (!welcomed_) return false;  // reconnecting: sends are kept and resent (pending_), the rest refused
  return !held_lines_.empty() || join_in_flight();
}

void CliApp::handle_interactive_line(const std::string& line) {
  if (!must_hold(line)) return run_interactive_line(line);
  if (held_lines_.size() >= kMaxHeldLines) return print("! too many lines waiting to be sent: this one is dropped");
  if (!ever_welcomed_ && held_lines_.empty()) print("* connecting: what you type goes once connected");
  held_lines_.push_back(line);
  show_prompt();
}

void CliApp::release_held_lines() {
  while (!held_lines_.empty() && welcomed_ && !quitting_ && !join_in_flight()) {
    const std::string line = std::move(held_lines_.front());
    held_lines_.pop_front();
    run_interactive_line(line);
  }
}

void CliApp::run_interactive_line(const std::string& line) {
  LineOutcome outcome = translate_line(line, compose_, next_id_);
  if (!outcome.error.empty()) return print("! " + outcome.error);
  if (!outcome.note.empty()) return print("* " + outcome.note);
  switch (outcome.action) {
    case LocalAction::help:
      return print(std::string(command_help()));
    case LocalAction::quit:
      return quit(kExitOk);
    case LocalAction::who:
      return show_who(outcome.room);
    case LocalAction::sleep:
    case LocalAction::none:
      break;
  }
  if (outcome.frame.empty()) return show_prompt();
  if (!welcomed_) {
    if (outcome.type == "send" && outcome.re) {
      pending_[*outcome.re] = {outcome.type, outcome.room, outcome.frame, true};
      return print("* not connected: the message will be sent after reconnecting");
    }
    return print("! not connected (reconnecting)");
  }
  if (outcome.re) pending_[*outcome.re] = {outcome.type, outcome.room, outcome.frame, false, outcome.exists_ok};
  session_->send(std::move(outcome.frame));
  show_prompt();
}

void CliApp::on_interactive_frame() {
  const Kind kind = frame_.kind();
  const auto re = reply_to_of(frame_);
  std::optional<PendingRequest> request;
  if (re) {
    if (auto it = pending_.find(*re); it != pending_.end()) {
      request = std::move(it->second);
      pending_.erase(it);
    }
  }

  track_open_poll();
  switch (kind) {
    case Kind::welcome: {
      if (!re || *re != hello_re_) return;
      welcomed_ = true;
      const auto& welcome = frame_.welcome();
      self_id_ = welcome.user.id;
      const bool first = !ever_welcomed_;
      ever_welcomed_ = true;
      reconnect_attempt_ = 0;
      print("* connected as " + who_text(welcome.user) + " to " + options_.url_text + " (node " +
            terminal_safe(welcome.node) + ")" + (first ? "; /help lists the commands" : ""));
      rejoin_rooms();
      if (first && !options_.room.empty()) held_lines_.push_front("/join " + options_.room);
      return release_held_lines();
    }
    case Kind::error: {
      const auto& error = frame_.error_frame();
      if (request && request->exists_ok && error.code == protocol::ErrorCode::conflict) {
        return print("* " + terminal_safe(request->room) + " exists already (/join " + terminal_safe(request->room) + ")");
      }
      print("! " + std::string(protocol::to_string(error.code)) + ": " + terminal_safe(error.message) +
            (request ? " (" + request->type + (request->room.empty() ? "" : " " + request->room) + ")" : std::string()));
      if (re && *re == hello_re_) quit(kExitServerError);
      if (request && request->type == "join" && !held_lines_.empty()) {
        // They were typed for the room that could not be joined: sent anywhere else they would be wrong.
        print("! " + std::to_string(held_lines_.size()) + " line(s) typed after that /join not sent");
        held_lines_.clear();
      }
      return;
    }
    case Kind::joined: {
      const bool rejoin = request && request->type == "rejoin";
      on_joined(frame_.joined());
      const std::string& room = frame_.joined().room.id;
      if (!rejoin) compose_.current_room = room;
      // Messages typed while the connection was down (or sent but not acknowledged before it
      // dropped) go out now, with their nonce, so the server stores each once.
      for (auto& [id, pending] : pending_) {
        if (pending.type == "send" && pending.room == room && pending.resend) {
          pending.resend = false;
          session_->send(pending.frame);
        }
      }
      show_prompt();
      return release_held_lines();
    }
    case Kind::left: {
      const std::string room = frame_.left();
      track_room_change();
      return print("* left " + terminal_safe(room));
    }
    case Kind::created: {
      const auto& room = frame_.created();
      return print("* created " + terminal_safe(room.id) + " \u2014 " + terminal_safe(room.title) + " (/join " +
                   terminal_safe(room.id) + ")");
    }
    case Kind::rooms: {
      const auto& list = frame_.rooms().rooms;
      std::string text = "* rooms:";
      if (list.empty()) text += " none yet (/create <room> [title])";
      for (const auto& listing : list) {
        text += "\n    " + terminal_safe(listing.room.id) + " \u2014 " + terminal_safe(listing.room.title) + " (" +
                std::string(protocol::to_string(listing.room.kind)) + ", " + std::to_string(listing.online) + " online";
        if (const auto unread = listing.last_seq - listing.read; unread > 0) text += ", " + std::to_string(unread) + " unread";
        if (listing.mentions > 0) text += ", " + std::to_string(listing.mentions) + " mentioning you";
        text += ")";
      }
      return print(text);
    }
    case Kind::history:
      print("* history of " + terminal_safe(frame_.history().room) + ":");
      for (const auto& message : frame_.history().messages) render_message(message, true);
      return;
    case Kind::found: {
      const auto& found = frame_.found();
      print("* " + std::to_string(found.messages.size()) + " found for \"" + terminal_safe(found.query) + "\" in " +
            terminal_safe(found.room) + (found.messages.empty() ? "" : ", newest first:"));
      for (const auto& message : found.messages) render_message(message, true);
      if (found.next) {
        protocol::Search next;
        next.room = found.room;
        next.query = found.query;
        next.before = found.next;
        print("  (more may match before #" + std::to_string(*found.next) + ": send " +
              terminal_safe(protocol::client_frame_json(std::nullopt, next)) + ")");
      }
      return;
    }
    case Kind::changed: {
      if (re) return;  // the reply: the event to everyone follows
      const auto& changed = frame_.changed();
      const auto& message = changed.message;
      const std::string seq = std::to_string(message.seq);
      const std::string room = terminal_safe(changed.room);
      if (message.deleted) {
        const auto& reason = message.deleted->reason;
        return print("[" + room + "] * #" + seq + (reason ? " removed" : " deleted") + " by " +
                     who_text(message.deleted->by) + (reason ? ": " + terminal_safe(*reason) : std::string()));
      }
      return print("[" + room + "] * #" + seq + " edited: " + terminal_safe(message.text, true));
    }
    case Kind::message:
      return render_message(frame_.message(), false);
    case Kind::message_batch:  // only if joined with `message_batches`: each as if it came alone
      for (const auto& message : frame_.message_batch().messages) render_message(message, false);
      return;
    case Kind::presence: {
      const auto& change = frame_.presence();
      apply_presence_change(change);
      return print("[" + terminal_safe(change.room) + "] * " + presence_text(change));
    }
    case Kind::presence_page: {
      const auto& page = frame_.presence_page();
      auto it = rooms_.find(page.room);
      if (it == rooms_.end()) return;
      add_presence_entries(it->second, page.presence);
      it->second.online = page.online;
      if (page.next) request_presence_page(it->first, *page.next);
      return;
    }
    case Kind::presence_batch: {
      const auto& batch = frame_.presence_batch();
      int joined = 0, left = 0;
      for (const auto& change : batch.changes) {
        if (!apply_presence_change(change)) continue;
        joined += change.event == protocol::PresenceEvent::join;
        left += change.event == protocol::PresenceEvent::leave;
      }
      auto it = rooms_.find(batch.room);
      if (it != rooms_.end()) it->second.online = batch.online;
      // A busy room's batch is summed up; a few changes read as the contract's events do.
      if (batch.changes.size() <= 3) {
        for (const auto& change : batch.changes) print("[" + terminal_safe(batch.room) + "] * " + presence_text(change));
        return;
      }
      return print("[" + terminal_safe(batch.room) + "] * " + std::to_string(joined) + " joined, " +
                   std::to_string(left) + " left; " + std::to_string(it == rooms_.end() ? 0 : it->second.online) +
                   " present");
    }
    case Kind::sent:  // the message event follows
    case Kind::pong:
    case Kind::typing:
      return;
    case Kind::ok:
    case Kind::other:
      break;
  }
  if (auto line = event_line(frame_.json(), self_id_)) return print(*line);
  if (frame_.type() == "read") return;  // a marker moved (here or on another device): nothing to show
  if (kind == Kind::ok) return show_prompt();
  // Frames this client does not render specially.
  print("* " + terminal_safe(frame_.type()) + ": " + terminal_safe(compact_json(frame_.json())));
}

std::string CliApp::presence_text(const protocol::PresenceChange& change) {
  using protocol::PresenceEvent;
  const std::string verb = change.event == PresenceEvent::join    ? "joined"
                           : change.event == PresenceEvent::leave ? "left"
                                                                  : "is now " + std::string(to_string(change.state));
  return who_text(change.user) + " " + verb;
}

void CliApp::render_message(const protocol::Message& message, bool from_history) {
  if (!from_history) {
    auto it = rooms_.find(message.room);
    if (it != rooms_.end()) {
      if (message.seq <= it->second.last_seq) return;  // already shown before a reconnect
      it->second.last_seq = message.seq;
    }
  }
  std::string line = "[" + terminal_safe(message.room);
  if (message.topic != "general") line += " #" + terminal_safe(message.topic);
  line += "] " + clock_time(message.ts) + " " + who_text(message.from) + ": ";
  if (message.tag) line += "[" + std::string(protocol::to_string(*message.tag)) + "] ";
  if (message.reply_to) line += "(re #" + std::to_string(*message.reply_to) + ") ";
  if (message.deleted) {
    const auto& reason = message.deleted->reason;
    line += reason ? "(removed: " + terminal_safe(*reason) + ")" : "(deleted)";
  } else {
    line += terminal_safe(message.text, true);
    if (message.edited_at) line += " (edited)";
  }
  print(line);
  if (!from_history) note_shown(message.room, message.seq);
}

void CliApp::note_shown(const std::string& room, std::int64_t seq) {
  auto& shown = unsent_reads_[room];
  shown = std::max(shown, seq);
  if (read_timer_armed_) return;
  read_timer_armed_ = true;
  read_timer_.expires_after(std::chrono::seconds(1));
  read_timer_.async_wait([this](const boost::system::error_code& ec) {
    read_timer_armed_ = false;
    if (!ec) send_read_markers();
  });
}

void CliApp::send_read_markers() {
  if (!welcomed_ || !session_) return;  // kept: a rejoin shows the room again anyway
  for (const auto& [room, seq] : unsent_reads_) {
    protocol::MarkRead read;
    read.room = room;
    read.seq = seq;
    session_->send(protocol::client_frame_json(std::nullopt, read));  // no id: no reply wanted
  }
  unsent_reads_.clear();
}

void CliApp::on_joined(const protocol::JoinedReply& joined) {
  const std::string& id = joined.room.id;
  const bool known = rooms_.count(id) > 0;
  RoomView& view = rooms_[id];
  view.title = joined.room.title;
  view.presence.clear();
  add_presence_entries(view, joined.presence);
  view.online = joined.online.value_or(static_cast<int>(view.presence.size()));
  // A large room's `joined` holds a first page: the rest follows page by page.
  if (joined.presence_next) request_presence_page(id, *joined.presence_next);
  if (known) {
    print("* rejoined " + terminal_safe(id) + (joined.recovered ? " (nothing missed)" : ""));
  } else {
    print("* joined " + terminal_safe(id) + " \u2014 " + terminal_safe(view.title) + "; " +
          std::to_string(view.online) + " present (/who)");
  }
  if (!joined.messages.empty()) {
    const std::int64_t first = joined.messages.front().seq;
    if (known && !joined.recovered && view.last_seq > 0 && first > view.last_seq + 1)
      print("* messages " + std::to_string(view.last_seq + 1) + " to " + std::to_string(first - 1) +
            " of " + terminal_safe(id) + " are not shown (too many missed; /history)");
    for (const auto& message : joined.messages) render_message(message, false);
  }
  view.last_seq = std::max(view.last_seq, joined.head);
  if (joined.head > 0) note_shown(id, joined.head);  // opening a room reads it, as on the web
}

void CliApp::request_presence_page(const std::string& room, std::string_view after) {
  protocol::PresencePage page;
  page.room = room;
  page.after = std::string(after);
  page.limit = kPresencePage;
  session_->send(protocol::client_frame_json(next_id_++, page));
}

void CliApp::add_presence_entries(RoomView& view, const std::vector<protocol::PresenceEntry>& entries) {
  for (const auto& entry : entries) {
    view.presence[entry.user.id] = {entry.user.name, entry.user.org, std::string(to_string(entry.state))};
  }
}

bool CliApp::apply_presence_change(const protocol::PresenceChange& change) {
  auto it = rooms_.find(change.room);
  if (it == rooms_.end()) return false;
  auto& presence = it->second.presence;
  if (change.event == protocol::PresenceEvent::leave) return presence.erase(change.user.id) > 0;
  PresenceView person{change.user.name, change.user.org, std::string(to_string(change.state))};
  auto found = presence.find(change.user.id);
  if (found != presence.end() && found->second.state == person.state) return false;  // already known
  presence[change.user.id] = std::move(person);
  return true;
}

void CliApp::rejoin_rooms() {
  for (const auto& [room, view] : rooms_) {
    const std::int64_t id = next_id_++;
    protocol::Join join;
    join.room = room;
    if (compose_.paged_presence) join.presence_limit = kPresencePage;
    if (view.last_seq > 0) join.since = view.last_seq;
    pending_[std::to_string(id)] = {"rejoin", room, "", false};
    session_->send(protocol::client_frame_json(id, join));
  }
}

void CliApp::schedule_reconnect(const std::string& why) {
  // Unacknowledged sends are kept for resending; other requests died with the connection.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.type == "send") {
      it->second.resend = true;
      ++it;
    } else {
      it = pending_.erase(it);
    }
  }
  static thread_local std::mt19937 random{std::random_device{}()};
  const int base = std::min(15000, 500 << std::min(reconnect_attempt_, 5));
  const int delay = base + static_cast<int>(random() % 250);
  ++reconnect_attempt_;
  print("! " + terminal_safe(why) + "; reconnecting in " + std::to_string((delay + 500) / 1000) + " s");
  pause_timer_.expires_after(std::chrono::milliseconds(delay));
  pause_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !quitting_) connect();
  });
}

void CliApp::show_who(const std::string& room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return print("! not in " + terminal_safe(room));
  std::string text = "* present in " + terminal_safe(room) + ":";
  for (const auto& [id, person] : it->second.presence) {
    text += "\n    " + terminal_safe(person.name) + " (" + terminal_safe(person.org) + ")";
    if (person.state == "away") text += " away";
  }
  print(text);
}

}  // namespace outloud::client
