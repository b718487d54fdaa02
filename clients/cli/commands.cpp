#include "commands.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <random>
#include <vector>

#include "outloud/protocol/client_serialize.hpp"

namespace outloud::client {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// Splits off the first word; `rest` is what follows, trimmed.
std::string_view first_word(std::string_view text, std::string_view& rest) {
  text = trim(text);
  const auto space = text.find_first_of(" \t");
  if (space == std::string_view::npos) {
    rest = {};
    return text;
  }
  rest = trim(text.substr(space + 1));
  return text.substr(0, space);
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

LineOutcome usage(std::string message) {
  LineOutcome out;
  out.error = std::move(message);
  return out;
}

// A request with a fresh integer id; the reply's `re` is that integer. `type` and `room` are for
// the client's own bookkeeping (pending requests, messages for the user).
template <class Frame>
LineOutcome request(const Frame& frame, std::string type, std::string room, std::int64_t& next_id) {
  const std::int64_t id = next_id++;
  LineOutcome out;
  out.frame = protocol::client_frame_json(id, frame);
  out.re = std::to_string(id);
  out.type = std::move(type);
  out.room = std::move(room);
  return out;
}

LineOutcome raw_frame(std::string_view line) {
  LineOutcome out;
  out.frame = std::string(line);
  rapidjson::Document doc;
  doc.Parse(out.frame.data(), out.frame.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;  // sent as is; the server will say bad_request
  if (auto type = doc.FindMember("type"); type != doc.MemberEnd() && type->value.IsString())
    out.type = type->value.GetString();
  if (auto room = doc.FindMember("room"); room != doc.MemberEnd() && room->value.IsString())
    out.room = room->value.GetString();
  // typing never gets a reply, even with an id.
  if (auto id = doc.FindMember("id"); id != doc.MemberEnd() && out.type != "typing") {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    id->value.Accept(writer);
    out.re = std::string(buffer.GetString(), buffer.GetSize());
  }
  return out;
}

LineOutcome send_text(std::string_view text, ComposeState& state, std::int64_t& next_id) {
  if (state.current_room.empty()) return usage("no current room: /join a room first (see /help)");
  protocol::Send send;
  send.room = state.current_room;
  send.text = std::string(text);
  send.topic = state.topic;
  send.tag = protocol::tag_from(state.tag);
  state.tag.clear();  // a tag is for one message, as in the web client
  send.nonce = make_nonce();
  return request(send, "send", state.current_room, next_id);
}

// Splits "a | b | c" at '|', each part trimmed.
std::vector<std::string_view> split_bars(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto bar = text.find('|');
    parts.push_back(trim(text.substr(0, bar)));
    if (bar == std::string_view::npos) return parts;
    text.remove_prefix(bar + 1);
  }
}

// The facilitation commands of a session (facilitation.md), all about the current room.
std::optional<LineOutcome> session_command(std::string_view command, std::string_view args, ComposeState& state,
                                           std::int64_t& next_id) {
  static constexpr std::string_view kSession[] = {"hand", "floor", "timer", "poll", "vote", "breakout"};
  if (std::find(std::begin(kSession), std::end(kSession), command) == std::end(kSession)) return std::nullopt;
  if (state.current_room.empty()) return usage("no current room: /join a session first");
  const std::string& room = state.current_room;
  const std::string type(command);
  const auto done = [&](const auto& frame) { return request(frame, type, room, next_id); };
  std::string_view rest;
  const auto word = first_word(args, rest);

  if (command == "hand") {
    if (!word.empty() && word != "up" && word != "down") return usage("usage: /hand [up|down]");
    return done(protocol::Hand{room, word != "down"});
  }
  if (command == "floor") {
    if (!rest.empty()) return usage("usage: /floor [<user id>|next]");
    protocol::Floor floor{room, std::nullopt};
    if (!word.empty() && word != "next") floor.user = std::string(word);
    return done(floor);
  }
  if (command == "timer") {
    using protocol::TimerAction;
    if (word == "start") {
      std::string_view label;
      const auto seconds = parse_int(first_word(rest, label));
      if (!seconds || *seconds < 1 || *seconds > 86400) return usage("usage: /timer start <seconds 1-86400> [label]");
      return done(protocol::Timer{room, TimerAction::start, *seconds, std::string(label)});
    }
    if (rest.empty() && (word == "pause" || word == "resume" || word == "stop")) {
      const TimerAction action = word == "pause" ? TimerAction::pause
                                 : word == "resume" ? TimerAction::resume
                                                    : TimerAction::stop;
      return done(protocol::Timer{room, action, 0, ""});
    }
    return usage("usage: /timer start <seconds> [label] | /timer pause | /timer resume | /timer stop");
  }
  if (command == "poll") {
    if (word == "close") {
      const std::string poll = rest.empty() && state.open_poll.contains(room) ? state.open_poll.at(room) : std::string(rest);
      if (poll.empty()) return usage("usage: /poll close [poll id] (no open poll known)");
      return done(protocol::PollClose{room, poll});
    }
    if (word == "open") {
      bool multi = false, named = false;
      std::string_view text = rest;
      for (std::string_view after; ; text = after) {
        const auto flag = first_word(text, after);
        if (flag == "--multi") multi = true;
        else if (flag == "--named") named = true;
        else break;
      }
      const auto parts = split_bars(text);
      if (parts.size() < 3 || parts.size() > 11 || parts.front().empty())
        return usage("usage: /poll open [--multi] [--named] <question> | <option> | <option> … (2 to 10 options)");
      return done(protocol::PollOpen{room, std::string(parts.front()),
                                     std::vector<std::string>(parts.begin() + 1, parts.end()), multi, !named});
    }
    return usage("usage: /poll open [--multi] [--named] <question> | <option> | … | /poll close [poll id]");
  }
  if (command == "vote") {
    // "/vote p1 2" or, for the room's open poll, "/vote 2"; numbers as shown (1 = the first option).
    std::string poll(word);
    std::string_view numbers = rest;
    if (parse_int(word)) {
      if (!state.open_poll.contains(room)) return usage("usage: /vote <poll id> <number>… (no open poll known)");
      poll = state.open_poll.at(room);
      numbers = args;
    }
    std::vector<int> choices;
    for (std::string_view after; !trim(numbers).empty(); numbers = after) {
      const auto n = parse_int(first_word(numbers, after));
      if (!n || *n < 1 || *n > 10) return usage("usage: /vote [poll id] <option number 1-10>…");
      choices.push_back(*n - 1);
    }
    if (poll.empty() || choices.empty()) return usage("usage: /vote [poll id] <option number>…");
    return done(protocol::Vote{room, poll, choices});
  }
  // breakout
  if (word == "open") {
    std::string_view more;
    const auto groups = parse_int(first_word(rest, more));
    const int minutes = more.empty() ? 0 : parse_int(more).value_or(-1);
    if (!groups || *groups < 1 || *groups > 50 || minutes < 0 || minutes > 600 || (!more.empty() && minutes == 0))
      return usage("usage: /breakout open <groups 1-50> [minutes 1-600]");
    protocol::BreakoutOpen open;
    open.room = room;
    open.groups = *groups;
    open.strategy = protocol::BreakoutStrategy::mix;
    if (minutes > 0) open.minutes = minutes;
    return done(open);
  }
  if (word == "close" && rest.empty()) return done(protocol::BreakoutClose{room});
  if (word == "place" && !rest.empty()) {
    std::string_view group_text;
    const auto user = first_word(rest, group_text);
    const int group = group_text.empty() ? 0 : parse_int(group_text).value_or(-1);
    if (group < 0 || group > 50 || (!group_text.empty() && group == 0))
      return usage("usage: /breakout place <user id> [group number]");
    protocol::BreakoutPlace place{room, std::string(user), std::nullopt};
    if (group > 0) place.group = group;
    return done(place);
  }
  if (word == "broadcast" && !rest.empty()) return done(protocol::BreakoutBroadcast{room, std::string(rest)});
  return usage("usage: /breakout open <groups> [minutes] | close | place <user id> [group] | broadcast <text>");
}

}  // namespace

std::string make_nonce() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string nonce = "cli-";
  for (int i = 0; i < 24; ++i) nonce += digits[random() % 16];
  return nonce;
}

std::string_view command_help() {
  return "Commands:\n"
         "  /rooms                 list rooms\n"
         "  /create [-p] [--private] <room> [title]  create a room (id: a-z 0-9 . _ ~ -); -p: fine if it\n"
         "                               exists; --private: seen by its members only (accounts servers)\n"
         "  /join <room>           join a room and make it current\n"
         "  /leave [room]          leave the current (or given) room\n"
         "  /history [n]           the latest n messages of the current room (default 20)\n"
         "  /who                   who is present in the current room\n"
         "  /search <words…>       messages of the current room with every word, newest first\n"
         "  /edit <seq> <text>     correct one of your messages\n"
         "  /delete <seq>          delete one of your messages\n"
         "  /remove <seq> <reason> remove a message, with a reason on the record (owner, facilitators)\n"
         "  /topic <topic>         topic of the messages you send (default: general)\n"
         "  /tag learn|do|reflect|share [text] tag your next message (only that one), or send text tagged\n"
         "  /hand [up|down]        raise or lower your hand\n"
         "  /floor [<user id>|next]   give the floor (facilitators)\n"
         "  /timer start <seconds> [label] | pause | resume | stop   (facilitators)\n"
         "  /poll open [--multi] [--named] <question> | <option> | <option>…   (facilitators)\n"
         "  /poll close [poll id]  (facilitators)\n"
         "  /vote [poll id] <n>…   vote for option n (1 = the first) of the open poll\n"
         "  /breakout open <groups> [minutes] | close | place <user id> [group] | broadcast <text>\n"
         "  /away, /back           set your presence state\n"
         "  /sleep <ms>            pause a script\n"
         "  /help, /quit\n"
         "  any other line is sent to the current room; a line starting with { is sent as a raw frame\n";
}

LineOutcome translate_line(std::string_view line, ComposeState& state, std::int64_t& next_id) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  const auto trimmed = trim(line);
  if (trimmed.empty()) return {};
  if (trimmed.front() == '{') return raw_frame(trimmed);
  if (trimmed.front() != '/' || trimmed.starts_with("//")) {
    // "//text" sends "/text" literally.
    return send_text(trimmed.starts_with("//") ? line.substr(line.find('/') + 1) : line, state, next_id);
  }
  std::string_view args;
  const auto command = first_word(trimmed.substr(1), args);

  if (command == "rooms") return request(protocol::ListRooms{}, "rooms", "", next_id);
  if (command == "create") {
    std::string_view title;
    auto room = first_word(args, title);
    bool exists_ok = false;
    bool private_room = false;
    for (; room == "-p" || room == "--private"; room = first_word(title, title)) {
      (room == "-p" ? exists_ok : private_room) = true;
    }
    if (room.empty()) return usage("usage: /create [-p] [--private] <room> [title…]");
    // No title: the room's id is its title, as the server would have it.
    protocol::Create create{.room = std::string(room), .title = std::string(title.empty() ? room : title)};
    if (private_room) create.visibility = protocol::Visibility::private_;
    auto out = request(create, "create", std::string(room), next_id);
    out.exists_ok = exists_ok;
    return out;
  }
  if (auto session = session_command(command, args, state, next_id)) return std::move(*session);
  if (command == "join") {
    std::string_view extra;
    const auto room = first_word(args, extra);
    if (room.empty() || !extra.empty()) return usage("usage: /join <room>");
    protocol::Join join;
    join.room = std::string(room);
    // Presence by pages and batches (protocol/README.md "Large rooms"): a room of thousands joins fast.
    if (state.paged_presence) join.presence_limit = kPresencePage;
    return request(join, "join", std::string(room), next_id);
  }
  if (command == "leave") {
    const std::string room = args.empty() ? state.current_room : std::string(args);
    if (room.empty()) return usage("usage: /leave [room] (no current room)");
    return request(protocol::Leave{room}, "leave", room, next_id);
  }
  if (command == "history") {
    int limit = 20;
    if (!args.empty()) {
      const auto n = parse_int(args);
      if (!n || *n < 1 || *n > 200) return usage("usage: /history [n] with n from 1 to 200");
      limit = *n;
    }
    if (state.current_room.empty()) return usage("no current room: /join a room first");
    protocol::History history;
    history.room = state.current_room;
    history.limit = limit;
    return request(history, "history", state.current_room, next_id);
  }
  if (command == "search") {
    if (args.empty()) return usage("usage: /search <words…>");
    if (state.current_room.empty()) return usage("no current room: /join a room first");
    protocol::Search search;
    search.room = state.current_room;
    search.query = std::string(args);
    return request(search, "search", state.current_room, next_id);
  }
  if (command == "edit" || command == "delete" || command == "remove") {
    std::string_view rest;
    const auto seq = parse_int(first_word(args, rest));
    const bool needs_text = command != "delete";
    if (!seq || *seq < 1 || needs_text == rest.empty()) {
      return usage(command == "edit" ? "usage: /edit <seq> <new text>"
                   : command == "delete" ? "usage: /delete <seq>"
                                         : "usage: /remove <seq> <reason>");
    }
    if (state.current_room.empty()) return usage("no current room: /join a room first");
    const std::string& room = state.current_room;
    if (command == "edit") return request(protocol::Edit{room, *seq, std::string(rest)}, "edit", room, next_id);
    if (command == "delete") return request(protocol::Delete{room, *seq}, "delete", room, next_id);
    return request(protocol::RemoveMessage{room, *seq, std::string(rest)}, "remove_message", room, next_id);
  }
  if (command == "who") {
    if (state.current_room.empty()) return usage("no current room: /join a room first");
    LineOutcome out;
    out.action = LocalAction::who;
    out.room = state.current_room;
    return out;
  }
  if (command == "topic") {
    if (args.empty()) return usage("usage: /topic <topic>");
    state.topic = std::string(args);
    LineOutcome out;
    out.note = "topic: " + state.topic;
    return out;
  }
  if (command == "tag") {
    std::string_view text;
    const auto tag = first_word(args, text);
    if (tag == "none" && text.empty()) {
      state.tag.clear();
    } else if (tag == "learn" || tag == "do" || tag == "reflect" || tag == "share") {
      state.tag = std::string(tag);
      if (!text.empty()) return send_text(text, state, next_id);
    } else {
      return usage("usage: /tag learn|do|reflect|share [text] | /tag none");
    }
    LineOutcome out;
    out.note = state.tag.empty() ? std::string("tag: none") : "tag: " + state.tag + ", for your next message only";
    return out;
  }
  if (command == "away" || command == "back") {
    LineOutcome out;
    const auto state_now = command == "away" ? protocol::PresenceState::away : protocol::PresenceState::online;
    out.frame = protocol::client_frame_json(std::nullopt, protocol::Status{state_now});
    out.type = "status";
    return out;
  }
  if (command == "sleep") {
    const auto ms = parse_int(args);
    if (!ms || *ms < 0 || *ms > 600000) return usage("usage: /sleep <milliseconds>");
    LineOutcome out;
    out.action = LocalAction::sleep;
    out.sleep_ms = *ms;
    return out;
  }
  if (command == "help") {
    LineOutcome out;
    out.action = LocalAction::help;
    return out;
  }
  if (command == "quit" || command == "exit") {
    LineOutcome out;
    out.action = LocalAction::quit;
    return out;
  }
  return usage("unknown command /" + std::string(command) + " (see /help)");
}

}  // namespace outloud::client
