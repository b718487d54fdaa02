// The session record (facilitation.md "The record") as Markdown. User-written text is kept as
// written but confined: message texts go into block quotes (every line prefixed, so no heading, list
// or fence in a message can escape into the record's own structure) and names and titles are
// single-line with a backslash only before what would otherwise act as Markdown or HTML (renders
// exactly as written, and reads as written: "A&E", not "A\&E").
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/facilitation/engine.hpp"
#include "server/facilitation/events.hpp"
#include "server/facilitation/record_parts.hpp"

namespace outloud::facilitation {
namespace {

namespace p = protocol;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_punct(char c) { return std::string_view("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").find(c) != std::string_view::npos; }

// Would `<` at text[i] open an HTML tag, comment or autolink; would `&` start an entity?
bool opens_html(std::string_view text, std::size_t i) {
  if (i + 1 >= text.size()) return false;
  const char next = text[i + 1];
  if (text[i] == '<') return is_alnum(next) || next == '/' || next == '!' || next == '?';
  std::size_t j = i + 1;
  while (j < text.size() && (is_alnum(text[j]) || text[j] == '#')) ++j;
  return j > i + 1 && j < text.size() && text[j] == ';';
}

// One line for names, titles, options, org ids: a backslash only where the character would act
// as Markdown here (emphasis, code, links, strikethrough, HTML, or a block marker at the start).
std::string inline_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    const char prev = i > 0 ? text[i - 1] : ' ';
    const char next = i + 1 < text.size() ? text[i + 1] : ' ';
    bool escape = false;
    switch (c) {
      case '`': case '*': case '~': escape = true; break;
      case '_': escape = !is_alnum(prev) || !is_alnum(next); break;  // intraword `_` is no emphasis
      case ']': escape = next == '(' || next == '['; break;         // no link without `](` or `][`
      case '\\': escape = is_punct(next); break;
      case '<': case '&': escape = opens_html(text, i); break;
      case '#': case '>': case '+': case '-': case '=': escape = i == 0; break;  // a block marker
      default: break;
    }
    if (escape) out += '\\';
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

// A message text as a block quote. Only a `<` or `&` that would start HTML or an entity is escaped
// (no raw HTML or entities can take effect); the writer's own Markdown still renders inside the quote.
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
    if ((c == '<' || c == '&') && opens_html(text, i)) out += '\\';
    out += c;
  }
  out += line_start ? ">\n" : "\n";
  return out;
}

std::string org_label(const p::User& user) {
  return user.org.empty() ? std::string("no organisation") : inline_text(user.org);
}

// After a person's name: their organisation, and whether they are a guest (a guest's organisation
// is the one its invitation named, not one that vouched for them).
std::string person_label(const p::User& user) { return org_label(user) + (user.guest ? ", guest" : ""); }

// What stands in a taken-back message's place: a removal keeps who removed it and why.
std::string deletion_note(const RecordClock& clock, const p::Deletion& deletion, const p::User& author) {
  if (!deletion.reason) {
    return std::string(deletion.by.id == author.id ? "_Deleted by its author" : "_Deleted") + " on " +
           clock.format(deletion.at) + "._\n";
  }
  return "_Removed by " + inline_text(deletion.by.name) + " (" + person_label(deletion.by) + ") on " +
         clock.format(deletion.at) + ". Reason: " + inline_text(*deletion.reason) + "_\n";
}

std::string message_block(const RecordClock& clock, const p::Message& message, std::string_view where = {}) {
  std::string out = "**" + inline_text(message.from.name) + "** (" + person_label(message.from) + ") · " +
                    clock.format(message.ts) + " · #" + std::to_string(message.seq);
  if (!where.empty()) out += " · " + std::string(where);
  if (message.topic != "general") out += " · topic " + inline_text(message.topic);
  if (message.tag) out += " · " + std::string(tag_heading(*message.tag));
  if (message.reply_to) out += " · reply to #" + std::to_string(*message.reply_to);
  if (message.edited_at) out += " · edited " + clock.format(*message.edited_at);
  out += "\n\n" + (message.deleted ? deletion_note(clock, *message.deleted, message.from) : quoted(message.text)) + "\n";
  return out;
}

std::string messages_section(const RecordClock& clock, const std::vector<p::Message>& messages) {
  if (messages.empty()) return "_No messages._\n\n";
  std::string out;
  for (const auto& message : messages) out += message_block(clock, message);
  return out;
}

}  // namespace

std::string export_markdown(const p::Room& room, const SessionState& state, const std::vector<p::Message>& messages,
                            const std::vector<GroupRecord>& groups, const std::vector<p::MemberInfo>& permissions,
                            const RecordClock& clock) {
  // The information-governance label comes first, as on a paper record.
  std::string md = "**" + inline_text(room.label) + "**\n\n";
  md += "# " + inline_text(room.title.empty() ? room.id : room.title) + "\n\n";
  md += "Room " + code(room.id) + " · " + std::string(p::to_string(room.kind)) + " · created " +
        clock.format(room.created_at) + "\n\n";
  md += "Times are in " + inline_text(clock.name()) + ".\n\n";
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
          " on " + clock.format(given.since) + ": " + inline_text(given.reason.value_or("")) + "\n";
  }
  md += "\n";

  const std::vector<p::User> people = record_people(state, messages, groups);
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
      if (list[i]->guest) md += " (guest)";
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

  md += "## Messages\n\n" + messages_section(clock, messages);

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
          md += who != people.end() ? inline_text(who->name) + " (" + person_label(*who) + ")"
                                    : inline_text(members->members[i]);
        }
        md += "\n\n";
      } else if (members != state.breakouts.groups.end()) {
        md += "Members: _nobody was placed in this group._\n\n";  // `groups:n` with fewer people
      }
      md += messages_section(clock, group.messages);
    }
  }

  const auto tagged = tagged_in_order(messages, groups);
  for (p::Tag tag : kTags) {
    md += "## " + std::string(tag_heading(tag)) + "\n\n";
    bool any = false;
    for (const auto& [message, group] : tagged) {
      if (message->tag != tag) continue;
      md += group ? message_block(clock, *message, "in " + code(group->id)) : message_block(clock, *message);
      any = true;
    }
    if (!any) md += "_Nothing tagged._\n\n";
  }
  while (md.size() > 1 && md[md.size() - 1] == '\n' && md[md.size() - 2] == '\n') md.pop_back();
  return md;
}

std::string export_frame(const std::optional<p::RequestId>& re, const std::string& room, const std::string& markdown,
                         std::string_view field) {
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
  if (field != "markdown") {
    w.Key("format");
    w.String(field.data(), static_cast<rapidjson::SizeType>(field.size()));
  }
  w.Key(field.data(), static_cast<rapidjson::SizeType>(field.size()));
  w.String(markdown.data(), static_cast<rapidjson::SizeType>(markdown.size()));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace outloud::facilitation
