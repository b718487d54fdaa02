// The session record (facilitation.md "The record") as Markdown. User-written text is kept as
// written but confined: message texts go into block quotes (every line prefixed, so no heading, list
// or fence in a message can escape into the record's own structure) and names and titles are
// single-line with Markdown punctuation backslash-escaped (renders exactly as written).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/facilitation/engine.hpp"
#include "server/facilitation/events.hpp"

namespace outloud::facilitation {
namespace {

namespace p = protocol;

// One line, Markdown punctuation escaped: for names, titles, options, org ids.
std::string inline_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>#|~!&").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// An identifier (room ids hold `~`, which some renderers take for strikethrough) as code.
std::string code(std::string_view id) {
  if (id.find('`') != std::string_view::npos || id.find('\n') != std::string_view::npos) return inline_text(id);
  std::string out;
  out.reserve(id.size() + 2);
  out += '`';
  out += id;
  out += '`';
  return out;
}

// A message text as a block quote. Only `<` and `&` are escaped (no raw HTML or entities can take
// effect); the writer's own Markdown still renders inside the quote.
std::string quoted(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += line_start ? ">\n" : "\n";
      line_start = true;
      continue;
    }
    if (line_start) out += "> ";
    line_start = false;
    if (c == '<' || c == '&') out += '\\';
    out += c;
  }
  out += line_start ? ">\n" : "\n";
  return out;
}

std::string utc_time(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> point{milliseconds{ms}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{point - day};
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u %02d:%02d:%02d UTC", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

constexpr std::array<p::Tag, 4> kTags = {p::Tag::learn, p::Tag::do_, p::Tag::reflect, p::Tag::share};

std::string_view tag_heading(p::Tag tag) {
  switch (tag) {
    case p::Tag::learn: return "Learn";
    case p::Tag::do_: return "Do";
    case p::Tag::reflect: return "Reflect";
    case p::Tag::share: return "Share";
  }
  return "Other";
}

std::string org_label(const p::User& user) {
  return user.org.empty() ? std::string("no organisation") : inline_text(user.org);
}

// What stands in a taken-back message's place: a removal keeps who removed it and why.
std::string deletion_note(const p::Deletion& deletion, const p::User& author) {
  if (!deletion.reason) {
    return std::string(deletion.by.id == author.id ? "_Deleted by its author" : "_Deleted") + " on " +
           utc_time(deletion.at) + "._\n";
  }
  return "_Removed by " + inline_text(deletion.by.name) + " (" + org_label(deletion.by) + ") on " +
         utc_time(deletion.at) + ". Reason: " + inline_text(*deletion.reason) + "_\n";
}

std::string message_block(const p::Message& message, std::string_view where = {}) {
  std::string out = "**" + inline_text(message.from.name) + "** (" + org_label(message.from) + ") · " +
                    utc_time(message.ts) + " · #" + std::to_string(message.seq);
  if (!where.empty()) out += " · " + std::string(where);
  if (message.topic != "general") out += " · topic " + inline_text(message.topic);
  if (message.tag) out += " · " + std::string(tag_heading(*message.tag));
  if (message.reply_to) out += " · reply to #" + std::to_string(*message.reply_to);
  if (message.edited_at) out += " · edited " + utc_time(*message.edited_at);
  out += "\n\n" + (message.deleted ? deletion_note(*message.deleted, message.from) : quoted(message.text)) + "\n";
  return out;
}

std::string messages_section(const std::vector<p::Message>& messages) {
  if (messages.empty()) return "_No messages._\n\n";
  std::string out;
  for (const auto& message : messages) out += message_block(message);
  return out;
}

}  // namespace

std::string export_markdown(const p::Room& room, const SessionState& state, const std::vector<p::Message>& messages,
                            const std::vector<GroupRecord>& groups, const std::vector<p::MemberInfo>& permissions) {
  // The information-governance label comes first, as on a paper record.
  std::string md = "**" + inline_text(room.label) + "**\n\n";
  md += "# " + inline_text(room.title.empty() ? room.id : room.title) + "\n\n";
  md += "Room " + code(room.id) + " · " + std::string(p::to_string(room.kind)) + " · created " +
        utc_time(room.created_at) + "\n\n";
  md += "Label: " + inline_text(room.label) + " · visibility: " + std::string(p::to_string(room.visibility));
  if (!room.org.empty()) md += " · organisation: " + code(room.org);
  md += room.retention_days ? " · messages kept " + std::to_string(*room.retention_days) + " days" : std::string();
  md += "\n\n";
  md += "## Permissions given across organisations\n\n";
  if (permissions.empty()) md += "_None._\n";
  for (const auto& given : permissions) {
    md += "- " + inline_text(given.user.name) + " (" + code(given.user.org) + ") as " +
          std::string(p::to_string(given.role)) + ", let in by " +
          (given.sponsor ? inline_text(given.sponsor->name) + " (" + code(given.sponsor->org) + ")" : "unknown") +
          " on " + utc_time(given.since) + ": " + inline_text(given.reason.value_or("")) + "\n";
  }
  md += "\n";

  // Who took part: everyone who joined, and anyone who wrote without being recorded as joining.
  std::vector<p::User> people = state.participants;
  auto add_author = [&people](const p::User& user) {
    if (std::none_of(people.begin(), people.end(), [&](const p::User& known) { return known.id == user.id; }))
      people.push_back(user);
  };
  for (const auto& message : messages) add_author(message.from);
  for (const auto& group : groups)
    for (const auto& message : group.messages) add_author(message.from);
  md += "## Participants\n\n";
  if (people.empty()) md += "_Nobody has joined._\n";
  std::vector<std::string> org_order;
  std::map<std::string, std::vector<const p::User*>> by_org;
  for (const auto& user : people) {
    auto& list = by_org[user.org];
    if (list.empty()) org_order.push_back(user.org);
    list.push_back(&user);
  }
  for (const auto& org : org_order) {
    const auto& list = by_org[org];
    md += "- **" + org_label(*list.front()) + "** (" + std::to_string(list.size()) + "): ";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) md += ", ";
      md += inline_text(list[i]->name);
      const p::Role role = role_of(state, room, list[i]->id);
      if (role != p::Role::member) md += " (" + std::string(p::to_string(role)) + ")";
    }
    md += "\n";
  }
  md += "\n## Agenda\n\n";
  if (state.agenda.empty()) md += "_No agenda._\n";
  for (std::size_t i = 0; i < state.agenda.size(); ++i) {
    md += std::to_string(i + 1) + ". " + inline_text(state.agenda[i].title);
    if (state.agenda[i].minutes > 0) md += " (" + std::to_string(state.agenda[i].minutes) + " min)";
    if (static_cast<int>(i) == state.agenda_current) md += " — current";
    md += "\n";
  }

  md += "\n## Polls\n\n";
  if (state.polls.empty()) md += "_No polls._\n\n";
  for (const auto& poll : state.polls) {
    const auto counts = poll_counts(poll);
    md += "### Poll " + poll.id + ": " + inline_text(poll.question) + "\n\n";
    md += std::string(poll.open ? "Open" : "Closed") + " · " + (poll.multi ? "multiple choice" : "single choice") +
          " · " + (poll.anonymous ? "anonymous" : "named") + " · " + std::to_string(poll.ballots.size()) +
          (poll.ballots.size() == 1 ? " voter" : " voters") + "\n\n";
    for (std::size_t i = 0; i < poll.options.size(); ++i)
      md += "- " + inline_text(poll.options[i]) + ": " + std::to_string(counts[i]) + "\n";
    if (!poll.anonymous && !poll.ballots.empty()) {
      md += "\nBallots:\n\n";
      for (const auto& [voter, choices] : poll.ballots) {
        auto who = std::find_if(people.begin(), people.end(), [&](const p::User& u) { return u.id == voter; });
        md += "- " + inline_text(who != people.end() ? who->name : voter) + ": ";
        for (std::size_t i = 0; i < choices.size(); ++i) {
          if (i) md += "; ";
          const auto choice = static_cast<std::size_t>(choices[i]);
          md += choice < poll.options.size() ? inline_text(poll.options[choice]) : std::to_string(choices[i]);
        }
        md += "\n";
      }
    }
    md += "\n";
  }

  md += "## Messages\n\n" + messages_section(messages);

  if (!groups.empty()) {
    md += "## Breakout groups\n\n";
    for (const auto& group : groups) {
      md += "### " + inline_text(group.room.title.empty() ? group.room.id : group.room.title) + " (" + code(group.room.id) +
            ")\n\n";
      auto members = std::find_if(state.breakouts.groups.begin(), state.breakouts.groups.end(),
                                  [&](const BreakoutGroup& g) { return g.room == group.room.id; });
      if (members != state.breakouts.groups.end() && !members->members.empty()) {
        md += "Members: ";
        for (std::size_t i = 0; i < members->members.size(); ++i) {
          if (i) md += ", ";
          auto who = std::find_if(people.begin(), people.end(),
                                  [&](const p::User& u) { return u.id == members->members[i]; });
          md += who != people.end() ? inline_text(who->name) + " (" + org_label(*who) + ")"
                                    : inline_text(members->members[i]);
        }
        md += "\n\n";
      }
      md += messages_section(group.messages);
    }
  }

  for (p::Tag tag : kTags) {
    md += "## " + std::string(tag_heading(tag)) + "\n\n";
    bool any = false;
    for (const auto& message : messages)
      if (message.tag == tag) {
        md += message_block(message);
        any = true;
      }
    for (const auto& group : groups)
      for (const auto& message : group.messages)
        if (message.tag == tag) {
          md += message_block(message, "in " + code(group.room.id));
          any = true;
        }
    if (!any) md += "_Nothing tagged._\n\n";
  }
  while (md.size() > 1 && md[md.size() - 1] == '\n' && md[md.size() - 2] == '\n') md.pop_back();
  return md;
}

std::string export_frame(const std::optional<p::RequestId>& re, const std::string& room, const std::string& markdown) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("type");
  w.String("export");
  if (re) {
    w.Key("re");
    if (const auto* number = std::get_if<std::int64_t>(&*re)) w.Int64(*number);
    else {
      const auto& text = std::get<std::string>(*re);
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
  }
  w.Key("room");
  w.String(room.data(), static_cast<rapidjson::SizeType>(room.size()));
  w.Key("markdown");
  w.String(markdown.data(), static_cast<rapidjson::SizeType>(markdown.size()));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace outloud::facilitation
