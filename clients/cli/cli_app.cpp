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
#include "frame_fields.hpp"
#include "json_build.hpp"

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
std::optional<std::string> reply_to_of(const rapidjson::Value& frame) {
  const auto* re = get_member(frame, "re");
  if (!re || re->IsNull()) return std::nullopt;
  return compact_json(*re);
}

}  // namespace

CliApp::CliApp(asio::io_context& io, CliOptions options)
    : io_(io), options_(std::move(options)), reply_timer_(io), pause_timer_(io) {
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
  JsonObject hello("hello");
  hello.add("id", id);
  if (!options_.token.empty()) {
    hello.add("token", options_.token);
  } else {
    hello.add("name", options_.name).add("org", options_.org);
  }
  hello_re_ = std::to_string(id);
  session_->send(hello.finish());
  if (options_.scripted) {
    awaiting_ = hello_re_;
    arm_reply_timer(hello_re_);
  }
}

void CliApp::on_text(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (options_.scripted) return on_script_frame(text, doc);
  if (doc.HasParseError() || !doc.IsObject()) {
    print("! the server sent a frame that is not a JSON object");
    return;
  }
  on_interactive_frame(doc);
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
  if (connected_ && session_) {
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

void CliApp::on_script_frame(std::string_view text, const rapidjson::Document& doc) {
  const auto re = doc.HasParseError() ? std::nullopt : reply_to_of(doc);
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
  if (doc.HasParseError() || !doc.IsObject()) return;
  const auto type = get_string(doc, "type");
  // `/create -p`: the room being there already is what was wanted.
  const bool exists_ok = re && exists_ok_re_ == *re && get_string(doc, "code") == "conflict";
  if (type == "error" && !exists_ok) {
    exit_code_ = std::max(exit_code_, kExitServerError);
    if (re && *re == hello_re_) {
      std::fprintf(stderr, "outloud: the server refused hello: %s\n",
                   terminal_safe(get_string(doc, "message")).c_str());
      return quit(kExitServerError);
    }
  }
  if (type == "welcome" && re && *re == hello_re_) {
    welcomed_ = true;
    ever_welcomed_ = true;
    note_self(doc);
  }
  track_room_change(doc);
  track_open_poll(doc);
  if (re && awaiting_ && *re == *awaiting_) {
    awaiting_.reset();
    reply_timer_.cancel();
    // Replies come in order, so every earlier frame without an id has been dealt with too.
    unreplied_frames_ = false;
  }
  pump_script();
}

void CliApp::note_self(const rapidjson::Document& welcome) {
  if (const auto* user = get_member(welcome, "user")) self_id_ = std::string(get_string(*user, "id"));
}

// `/vote <n>` and `/poll close` name the room's open poll, as the latest poll event or joined told it.
void CliApp::track_open_poll(const rapidjson::Document& doc) {
  const auto type = get_string(doc, "type");
  const rapidjson::Value* poll = nullptr;
  std::string room;
  // The reply to `/poll open` names the new poll: it may come before the poll event.
  if (type == "ok" && !get_string(doc, "poll").empty() && !compose_.current_room.empty()) {
    compose_.open_poll[compose_.current_room] = std::string(get_string(doc, "poll"));
    return;
  }
  if (type == "poll") {
    poll = get_member(doc, "poll");
    room = std::string(get_string(doc, "room"));
  } else if (type == "joined") {
    const auto* session = get_member(doc, "session");
    const auto* joined = get_member(doc, "room");
    if (!session || !joined) return;
    room = std::string(get_string(*joined, "id"));
    poll = get_member(*session, "poll");
    if (!poll || !poll->IsObject()) compose_.open_poll.erase(room);
  }
  if (!poll || !poll->IsObject() || room.empty()) return;
  const std::string id(get_string(*poll, "id"));
  if (get_bool(*poll, "open")) compose_.open_poll[room] = id;
  else if (compose_.open_poll.contains(room) && compose_.open_poll[room] == id) compose_.open_poll.erase(room);
}

void CliApp::track_room_change(const rapidjson::Document& doc) {
  const auto type = get_string(doc, "type");
  if (type == "joined") {
    if (const auto* room = get_member(doc, "room")) {
      const std::string id(get_string(*room, "id"));
      if (!id.empty() && options_.scripted) compose_.current_room = id;
    }
  } else if (type == "left") {
    const std::string room(get_string(doc, "room"));
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
    barrier_re_ = "\"outloud-cli-barrier-" + std::to_string(next_id_++) + "\"";
    session_->send("{\"type\":\"ping\",\"id\":" + barrier_re_ + "}");
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

void CliApp::handle_interactive_line(const std::string& line) {
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

void CliApp::on_interactive_frame(const rapidjson::Document& doc) {
  const auto type = get_string(doc, "type");
  const auto re = reply_to_of(doc);
  std::optional<PendingRequest> request;
  if (re) {
    if (auto it = pending_.find(*re); it != pending_.end()) {
      request = std::move(it->second);
      pending_.erase(it);
    }
  }

  track_open_poll(doc);
  if (type == "welcome" && re && *re == hello_re_) {
    welcomed_ = true;
    note_self(doc);
    const bool first = !ever_welcomed_;
    ever_welcomed_ = true;
    reconnect_attempt_ = 0;
    const auto* user = get_member(doc, "user");
    print("* connected as " + (user ? who_text(*user) : std::string("?")) + " to " + options_.url_text +
          " (node " + terminal_safe(get_string(doc, "node")) + ")" + (first ? "; /help lists the commands" : ""));
    rejoin_rooms();
    if (first && !options_.room.empty()) handle_interactive_line("/join " + options_.room);
    return;
  }
  if (type == "error" && request && request->exists_ok && get_string(doc, "code") == "conflict") {
    return print("* " + terminal_safe(request->room) + " exists already (/join " + terminal_safe(request->room) + ")");
  }
  if (type == "error") {
    const std::string text = "! " + terminal_safe(get_string(doc, "code")) + ": " +
                             terminal_safe(get_string(doc, "message")) +
                             (request ? " (" + request->type + (request->room.empty() ? "" : " " + request->room) + ")"
                                      : std::string());
    print(text);
    if (re && *re == hello_re_) quit(kExitServerError);
    return;
  }
  if (type == "joined") {
    const bool rejoin = request && request->type == "rejoin";
    on_joined(doc);
    const std::string room(get_string(*get_member(doc, "room"), "id"));
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
    return;
  }
  if (type == "left") {
    const std::string room(get_string(doc, "room"));
    track_room_change(doc);
    return print("* left " + terminal_safe(room));
  }
  if (type == "created") {
    const auto* room = get_member(doc, "room");
    if (!room) return;
    return print("* created " + terminal_safe(get_string(*room, "id")) + " \u2014 " +
                 terminal_safe(get_string(*room, "title")) + " (/join " + terminal_safe(get_string(*room, "id")) + ")");
  }
  if (type == "rooms") {
    const auto* list = get_member(doc, "rooms");
    std::string text = "* rooms:";
    if (list && list->IsArray()) {
      if (list->Empty()) text += " none yet (/create <room> [title])";
      for (const auto& room : list->GetArray()) {
        text += "\n    " + terminal_safe(get_string(room, "id")) + " \u2014 " + terminal_safe(get_string(room, "title")) +
                " (" + terminal_safe(get_string(room, "kind")) + ", " + std::to_string(get_int(room, "online").value_or(0)) +
                " online)";
      }
    }
    return print(text);
  }
  if (type == "history") {
    const auto* messages = get_member(doc, "messages");
    print("* history of " + terminal_safe(get_string(doc, "room")) + ":");
    if (messages && messages->IsArray())
      for (const auto& message : messages->GetArray()) render_message(message, true);
    return;
  }
  if (type == "found") {
    const auto* messages = get_member(doc, "messages");
    const std::size_t count = messages && messages->IsArray() ? messages->Size() : 0;
    print("* " + std::to_string(count) + " found for \"" + terminal_safe(get_string(doc, "query")) + "\" in " +
          terminal_safe(get_string(doc, "room")) + (count > 0 ? ", newest first:" : ""));
    if (count > 0)
      for (const auto& message : messages->GetArray()) render_message(message, true);
    if (const auto next = get_int(doc, "next")) {
      print("  (more may match before #" + std::to_string(*next) + ": send {\"type\":\"search\",\"room\":\"" +
            terminal_safe(get_string(doc, "room")) + "\",\"query\":\"" + terminal_safe(get_string(doc, "query")) +
            "\",\"before\":" + std::to_string(*next) + "})");
    }
    return;
  }
  if (type == "changed") {
    const auto* message = get_member(doc, "message");
    if (!message || doc.HasMember("re")) return;  // the reply: the event to everyone follows
    const std::string seq = std::to_string(get_int(*message, "seq").value_or(0));
    const std::string room = terminal_safe(get_string(doc, "room"));
    if (const auto* deleted = get_member(*message, "deleted")) {
      const auto* by = get_member(*deleted, "by");
      const auto reason = get_string(*deleted, "reason");
      return print("[" + room + "] * #" + seq + (reason.empty() ? " deleted" : " removed") +
                   (by ? " by " + who_text(*by) : std::string()) +
                   (reason.empty() ? std::string() : ": " + terminal_safe(reason)));
    }
    return print("[" + room + "] * #" + seq + " edited: " + terminal_safe(get_string(*message, "text"), true));
  }
  if (type == "message") return render_message(doc, false);
  if (type == "presence") {
    const auto* user = get_member(doc, "user");
    if (!user) return;
    apply_presence_change(doc);
    const std::string event(get_string(doc, "event"));
    const std::string state(get_string(doc, "state"));
    const std::string verb = event == "join" ? "joined" : event == "leave" ? "left" : "is now " + terminal_safe(state);
    return print("[" + terminal_safe(get_string(doc, "room")) + "] * " + who_text(*user) + " " + verb);
  }
  if (type == "presence_page") {
    auto it = rooms_.find(std::string(get_string(doc, "room")));
    if (it == rooms_.end()) return;
    if (const auto* entries = get_member(doc, "presence")) add_presence_entries(it->second, *entries);
    it->second.online = static_cast<int>(get_int(doc, "online").value_or(it->second.online));
    if (const auto next = get_string(doc, "next"); !next.empty()) request_presence_page(it->first, next);
    return;
  }
  if (type == "presence_batch") {
    const std::string room(get_string(doc, "room"));
    const auto* changes = get_member(doc, "changes");
    if (!changes || !changes->IsArray()) return;
    int joined = 0, left = 0;
    for (const auto& change : changes->GetArray()) {
      if (!apply_presence_change(change)) continue;
      const auto event = get_string(change, "event");
      joined += event == "join";
      left += event == "leave";
    }
    auto it = rooms_.find(room);
    if (it != rooms_.end()) it->second.online = static_cast<int>(get_int(doc, "online").value_or(it->second.online));
    // A busy room's batch is summed up; a few changes read as the contract's events do.
    if (changes->Size() <= 3) {
      for (const auto& change : changes->GetArray()) {
        const auto* user = get_member(change, "user");
        if (!user) continue;
        const std::string event(get_string(change, "event"));
        const std::string verb =
            event == "join" ? "joined" : event == "leave" ? "left" : "is now " + terminal_safe(get_string(change, "state"));
        print("[" + terminal_safe(room) + "] * " + who_text(*user) + " " + verb);
      }
      return;
    }
    return print("[" + terminal_safe(room) + "] * " + std::to_string(joined) + " joined, " + std::to_string(left) +
                 " left; " + std::to_string(it == rooms_.end() ? 0 : it->second.online) + " present");
  }
  if (type == "sent" || type == "pong" || type == "typing") return;  // the message event follows a `sent`
  if (auto line = event_line(doc, self_id_)) return print(*line);
  if (type == "ok") return show_prompt();
  // Frames this client does not render specially.
  print("* " + terminal_safe(type) + ": " + terminal_safe(compact_json(doc)));
}

void CliApp::render_message(const rapidjson::Value& message, bool from_history) {
  const std::string room(get_string(message, "room"));
  const std::int64_t seq = get_int(message, "seq").value_or(0);
  if (!from_history) {
    auto it = rooms_.find(room);
    if (it != rooms_.end()) {
      if (seq <= it->second.last_seq) return;  // already shown before a reconnect
      it->second.last_seq = seq;
    }
  }
  std::string line = "[" + terminal_safe(room);
  const auto topic = get_string(message, "topic");
  if (!topic.empty() && topic != "general") line += " #" + terminal_safe(topic);
  line += "] " + clock_time(get_int(message, "ts").value_or(0)) + " ";
  if (const auto* from = get_member(message, "from")) line += who_text(*from);
  line += ": ";
  if (const auto tag = get_string(message, "tag"); !tag.empty()) line += "[" + terminal_safe(tag) + "] ";
  if (const auto reply = get_int(message, "reply_to")) line += "(re #" + std::to_string(*reply) + ") ";
  if (const auto* deleted = get_member(message, "deleted")) {
    const auto reason = get_string(*deleted, "reason");
    line += reason.empty() ? "(deleted)" : "(removed: " + terminal_safe(reason) + ")";
  } else {
    line += terminal_safe(get_string(message, "text"), true);
    if (get_int(message, "edited_at")) line += " (edited)";
  }
  print(line);
}

void CliApp::on_joined(const rapidjson::Document& doc) {
  const auto* room = get_member(doc, "room");
  if (!room) return;
  const std::string id(get_string(*room, "id"));
  const bool known = rooms_.count(id) > 0;
  RoomView& view = rooms_[id];
  view.title = std::string(get_string(*room, "title"));
  view.presence.clear();
  if (const auto* presence = get_member(doc, "presence")) add_presence_entries(view, *presence);
  view.online = static_cast<int>(get_int(doc, "online").value_or(static_cast<std::int64_t>(view.presence.size())));
  // A large room's `joined` holds a first page: the rest follows page by page.
  if (const auto next = get_string(doc, "presence_next"); !next.empty()) request_presence_page(id, next);
  const bool recovered = get_bool(doc, "recovered");
  if (known) {
    print("* rejoined " + terminal_safe(id) + (recovered ? " (nothing missed)" : ""));
  } else {
    print("* joined " + terminal_safe(id) + " \u2014 " + terminal_safe(view.title) + "; " +
          std::to_string(view.online) + " present (/who)");
  }
  const auto* messages = get_member(doc, "messages");
  if (messages && messages->IsArray() && !messages->Empty()) {
    const std::int64_t first = get_int((*messages)[0], "seq").value_or(0);
    if (known && !recovered && view.last_seq > 0 && first > view.last_seq + 1)
      print("* messages " + std::to_string(view.last_seq + 1) + " to " + std::to_string(first - 1) +
            " of " + terminal_safe(id) + " are not shown (too many missed; /history)");
    for (const auto& message : messages->GetArray()) render_message(message, false);
  }
  view.last_seq = std::max(view.last_seq, get_int(doc, "head").value_or(0));
}

void CliApp::request_presence_page(const std::string& room, std::string_view after) {
  JsonObject page("presence_page");
  page.add("id", next_id_++).add("room", room).add("after", after).add("limit", kPresencePage);
  session_->send(page.finish());
}

void CliApp::add_presence_entries(RoomView& view, const rapidjson::Value& entries) {
  if (!entries.IsArray()) return;
  for (const auto& entry : entries.GetArray()) {
    const auto* user = get_member(entry, "user");
    if (!user) continue;
    view.presence[std::string(get_string(*user, "id"))] = {std::string(get_string(*user, "name")),
                                                           std::string(get_string(*user, "org")),
                                                           std::string(get_string(entry, "state"))};
  }
}

bool CliApp::apply_presence_change(const rapidjson::Value& change) {
  const auto* user = get_member(change, "user");
  auto it = rooms_.find(std::string(get_string(change, "room")));
  if (!user || it == rooms_.end()) return false;
  auto& presence = it->second.presence;
  const std::string id(get_string(*user, "id"));
  if (get_string(change, "event") == "leave") return presence.erase(id) > 0;
  PresenceView person{std::string(get_string(*user, "name")), std::string(get_string(*user, "org")),
                      std::string(get_string(change, "state"))};
  auto found = presence.find(id);
  if (found != presence.end() && found->second.state == person.state) return false;  // already known
  presence[id] = std::move(person);
  return true;
}

void CliApp::rejoin_rooms() {
  for (const auto& [room, view] : rooms_) {
    const std::int64_t id = next_id_++;
    JsonObject join("join");
    join.add("id", id).add("room", room);
    if (compose_.paged_presence) join.add("presence_limit", kPresencePage);
    if (view.last_seq > 0) join.add("since", view.last_seq);
    pending_[std::to_string(id)] = {"rejoin", room, "", false};
    session_->send(join.finish());
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
