#include "commands.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <random>

#include "json_build.hpp"

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

// A request with a fresh integer id; the reply's `re` is that integer.
struct Request {
  std::int64_t id;
  JsonObject json;
  Request(std::string_view type, std::int64_t& next_id) : id(next_id++), json(type) { json.add("id", id); }
  LineOutcome done(std::string type, std::string room) {
    LineOutcome out;
    out.frame = json.finish();
    out.re = std::to_string(id);
    out.type = std::move(type);
    out.room = std::move(room);
    return out;
  }
};

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

LineOutcome send_text(std::string_view text, const ComposeState& state, std::int64_t& next_id) {
  if (state.current_room.empty()) return usage("no current room: /join a room first (see /help)");
  Request r("send", next_id);
  r.json.add("room", state.current_room).add("text", text).add("topic", state.topic);
  if (!state.tag.empty()) r.json.add("tag", state.tag);
  r.json.add("nonce", make_nonce());
  return r.done("send", state.current_room);
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
         "  /create <room> [title] create a room (id: a-z 0-9 . _ ~ -)\n"
         "  /join <room>           join a room and make it current\n"
         "  /leave [room]          leave the current (or given) room\n"
         "  /history [n]           the latest n messages of the current room (default 20)\n"
         "  /who                   who is present in the current room\n"
         "  /topic <topic>         topic of the messages you send (default: general)\n"
         "  /tag learn|do|reflect|share|none   tag of the messages you send\n"
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

  if (command == "rooms") return Request("rooms", next_id).done("rooms", "");
  if (command == "create") {
    std::string_view title;
    const auto room = first_word(args, title);
    if (room.empty()) return usage("usage: /create <room> [title…]");
    Request r("create", next_id);
    r.json.add("room", room).add("kind", "room");
    if (!title.empty()) r.json.add("title", title);
    return r.done("create", std::string(room));
  }
  if (command == "join") {
    std::string_view extra;
    const auto room = first_word(args, extra);
    if (room.empty() || !extra.empty()) return usage("usage: /join <room>");
    Request r("join", next_id);
    // Presence by pages and batches (protocol/README.md "Large rooms"): a room of thousands joins fast.
    r.json.add("room", room);
    if (state.paged_presence) r.json.add("presence_limit", kPresencePage);
    return r.done("join", std::string(room));
  }
  if (command == "leave") {
    const std::string room = args.empty() ? state.current_room : std::string(args);
    if (room.empty()) return usage("usage: /leave [room] (no current room)");
    Request r("leave", next_id);
    r.json.add("room", room);
    return r.done("leave", room);
  }
  if (command == "history") {
    int limit = 20;
    if (!args.empty()) {
      const auto n = parse_int(args);
      if (!n || *n < 1 || *n > 200) return usage("usage: /history [n] with n from 1 to 200");
      limit = *n;
    }
    if (state.current_room.empty()) return usage("no current room: /join a room first");
    Request r("history", next_id);
    r.json.add("room", state.current_room).add("limit", limit);
    return r.done("history", state.current_room);
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
    if (args == "none") {
      state.tag.clear();
    } else if (args == "learn" || args == "do" || args == "reflect" || args == "share") {
      state.tag = std::string(args);
    } else {
      return usage("usage: /tag learn|do|reflect|share|none");
    }
    LineOutcome out;
    out.note = "tag: " + (state.tag.empty() ? std::string("none") : state.tag);
    return out;
  }
  if (command == "away" || command == "back") {
    LineOutcome out;
    out.frame = JsonObject("status").add("state", command == "away" ? "away" : "online").finish();
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
