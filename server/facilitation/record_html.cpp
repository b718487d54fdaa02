// The session record as one printable HTML page: the same content as the Markdown record
// (record.cpp), with each poll's result drawn as inline SVG bars. Every text from users is
// HTML-escaped; the page loads nothing (no scripts, no external files), so it prints as it is.
#include <algorithm>
#include <map>

#include "server/facilitation/engine.hpp"
#include "server/facilitation/events.hpp"
#include "server/facilitation/record_parts.hpp"

namespace outloud::facilitation {
namespace {

namespace p = protocol;

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_org_label(const p::User& user) { return user.org.empty() ? "no organisation" : esc(user.org); }
// After a person's name: their organisation, and whether they are a guest (see record.cpp).
std::string html_person_label(const p::User& user) { return html_org_label(user) + (user.guest ? ", guest" : ""); }

std::string name_of(const std::vector<p::User>& people, const std::string& id) {
  auto who = std::find_if(people.begin(), people.end(), [&](const p::User& u) { return u.id == id; });
  return who != people.end() ? esc(who->name) + " (" + html_person_label(*who) + ")" : esc(id);
}

constexpr std::string_view kStyle =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:52em;margin:2em auto;"
    "padding:0 1em;color:#111}"
    ".label{font-weight:700;letter-spacing:.06em}.meta{color:#444}"
    "h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}"
    ".msg{margin:.7em 0}.head{font-size:.9em;color:#333}"
    ".text{margin:.25em 0 0;padding:.2em .8em;border-left:3px solid #999;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".none{color:#555;font-style:italic}svg{display:block;margin:.4em 0 1em;max-width:100%}"
    "@media print{body{margin:0;max-width:none;font-size:11pt}h2,h3{break-after:avoid}.msg,svg{break-inside:avoid}}";

// One bar per option, longest for the most votes; the numbers are written beside the bars.
std::string poll_chart(const Poll& poll, const std::vector<int>& counts) {
  constexpr int kRow = 28, kLabel = 220, kBar = 300, kWidth = kLabel + kBar + 60;
  const int top = std::max(1, counts.empty() ? 1 : *std::max_element(counts.begin(), counts.end()));
  const int height = kRow * static_cast<int>(poll.options.size()) + 4;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" + std::to_string(kWidth) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
                    std::to_string(height) + "\"><title>Result of poll " + esc(poll.id) + ": " + esc(poll.question) +
                    "</title>";
  for (std::size_t i = 0; i < poll.options.size(); ++i) {
    const int y = kRow * static_cast<int>(i) + 2;
    const int width = counts[i] * kBar / top;
    std::string option = poll.options[i];
    if (option.size() > 34) option = option.substr(0, 32) + "…";
    svg += "<text x=\"" + std::to_string(kLabel - 8) + "\" y=\"" + std::to_string(y + 18) +
           "\" text-anchor=\"end\" font-size=\"13\">" + esc(option) + "</text>";
    svg += "<rect x=\"" + std::to_string(kLabel) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" +
           std::to_string(std::max(width, 1)) + "\" height=\"18\" fill=\"#2b6cb0\"/>";
    svg += "<text x=\"" + std::to_string(kLabel + std::max(width, 1) + 6) + "\" y=\"" + std::to_string(y + 18) +
           "\" font-size=\"13\">" + std::to_string(counts[i]) + "</text>";
  }
  return svg + "</svg>";
}

std::string message_html(const RecordClock& clock, const p::Message& message, const p::Room* group = nullptr) {
  std::string out = "<div class=\"msg\"><div class=\"head\"><strong>" + esc(message.from.name) + "</strong> (" +
                    html_person_label(message.from) + ") · " + esc(clock.format(message.ts)) + " · #" +
                    std::to_string(message.seq);
  if (group) out += " · in " + esc(group->title.empty() ? group->id : group->title);
  if (message.topic != "general") out += " · topic " + esc(message.topic);
  if (message.tag) out += " · " + std::string(tag_heading(*message.tag));
  if (message.reply_to) out += " · reply to #" + std::to_string(*message.reply_to);
  if (message.edited_at) out += " · edited " + esc(clock.format(*message.edited_at));
  out += "</div>";
  if (message.deleted) {
    const auto& deletion = *message.deleted;
    // What stands in a taken-back message's place: a removal keeps who removed it and why.
    out += "<p class=\"text\"><em>";
    out += deletion.reason ? "Removed by " + esc(deletion.by.name) + " (" + html_person_label(deletion.by) + ") on " +
                                 esc(clock.format(deletion.at)) + ". Reason: " + esc(*deletion.reason)
                           : std::string(deletion.by.id == message.from.id ? "Deleted by its author" : "Deleted") +
                                 " on " + esc(clock.format(deletion.at)) + ".";
    return out + "</em></p></div>\n";
  }
  return out + "<p class=\"text\">" + esc(message.text) + "</p></div>\n";
}

std::string messages_html(const RecordClock& clock, const std::vector<p::Message>& messages) {
  if (messages.empty()) return "<p class=\"none\">No messages.</p>\n";
  std::string out;
  for (const auto& message : messages) out += message_html(clock, message);
  return out;
}

}  // namespace

std::string export_html(const p::Room& room, const SessionState& state, const std::vector<p::Message>& messages,
                        const std::vector<GroupRecord>& groups, const std::vector<p::MemberInfo>& permissions,
                        const RecordClock& clock) {
  const std::string title = esc(room.title.empty() ? room.id : room.title);
  std::string h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title +
                  " — record</title><style>" + std::string(kStyle) + "</style></head><body>\n";
  h += "<p class=\"label\">" + esc(room.label) + "</p>\n<h1>" + title + "</h1>\n";
  h += "<p class=\"meta\">Room <code>" + esc(room.id) + "</code> · " + std::string(p::to_string(room.kind)) +
       " · created " + esc(clock.format(room.created_at)) + "<br>Label: " + esc(room.label) + " · visibility: " +
       std::string(p::to_string(room.visibility));
  if (!room.org.empty()) h += " · organisation: " + esc(room.org);
  if (room.retention_days) h += " · messages kept " + std::to_string(*room.retention_days) + " days";
  h += "<br>Times are in " + esc(clock.name()) + ".</p>\n";

  h += "<h2>Permissions given across organisations</h2>\n";
  if (permissions.empty()) h += "<p class=\"none\">None.</p>\n";
  else h += "<ul>\n";
  for (const auto& given : permissions) {
    h += "<li>" + esc(given.user.name) + " (" + esc(given.user.org) + ") as " + std::string(p::to_string(given.role)) +
         ", let in by " + (given.sponsor ? esc(given.sponsor->name) + " (" + esc(given.sponsor->org) + ")" : "unknown") +
         " on " + esc(clock.format(given.since)) + ": " + esc(given.reason.value_or("")) + "</li>\n";
  }
  if (!permissions.empty()) h += "</ul>\n";

  const auto people = record_people(state, messages, groups);
  h += "<h2>Participants</h2>\n";
  if (people.empty()) h += "<p class=\"none\">Nobody has joined.</p>\n";
  std::vector<std::string> org_order;
  std::map<std::string, std::vector<const p::User*>> by_org;
  for (const auto& user : people) {
    auto& list = by_org[user.org];
    if (list.empty()) org_order.push_back(user.org);
    list.push_back(&user);
  }
  if (!people.empty()) h += "<ul>\n";
  for (const auto& org : org_order) {
    const auto& list = by_org[org];
    h += "<li><strong>" + html_org_label(*list.front()) + "</strong> (" + std::to_string(list.size()) + "): ";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) h += ", ";
      h += esc(list[i]->name);
      if (list[i]->guest) h += " (guest)";
      const p::Role role = role_of(state, room, list[i]->id);
      if (role != p::Role::member) h += " (" + std::string(p::to_string(role)) + ")";
    }
    h += "</li>\n";
  }
  if (!people.empty()) h += "</ul>\n";

  h += "<h2>Agenda</h2>\n";
  if (state.agenda.empty()) h += "<p class=\"none\">No agenda.</p>\n";
  else h += "<ol>\n";
  for (std::size_t i = 0; i < state.agenda.size(); ++i) {
    h += "<li>" + esc(state.agenda[i].title);
    if (state.agenda[i].minutes > 0) h += " (" + std::to_string(state.agenda[i].minutes) + " min)";
    if (static_cast<int>(i) == state.agenda_current) h += " — current";
    h += "</li>\n";
  }
  if (!state.agenda.empty()) h += "</ol>\n";

  h += "<h2>Polls</h2>\n";
  if (state.polls.empty()) h += "<p class=\"none\">No polls.</p>\n";
  for (const auto& poll : state.polls) {
    const auto counts = poll_counts(poll);
    h += "<h3>Poll " + esc(poll.id) + ": " + esc(poll.question) + "</h3>\n<p class=\"meta\">" +
         (poll.open ? "Open" : "Closed") + " · " + (poll.multi ? "multiple choice" : "single choice") + " · " +
         (poll.anonymous ? "anonymous" : "named") + " · " + std::to_string(poll.ballots.size()) +
         (poll.ballots.size() == 1 ? " voter" : " voters") + "</p>\n";
    h += poll_chart(poll, counts) + "\n<ul>\n";
    for (std::size_t i = 0; i < poll.options.size(); ++i)
      h += "<li>" + esc(poll.options[i]) + ": " + std::to_string(counts[i]) + "</li>\n";
    h += "</ul>\n";
    if (!poll.anonymous && !poll.ballots.empty()) {
      h += "<p>Ballots:</p>\n<ul>\n";
      for (const auto& [voter, choices] : poll.ballots) {
        h += "<li>" + name_of(people, voter) + ": ";
        for (std::size_t i = 0; i < choices.size(); ++i) {
          if (i) h += "; ";
          const auto choice = static_cast<std::size_t>(choices[i]);
          h += choice < poll.options.size() ? esc(poll.options[choice]) : std::to_string(choices[i]);
        }
        h += "</li>\n";
      }
      h += "</ul>\n";
    }
  }

  h += "<h2>Messages</h2>\n" + messages_html(clock, messages);
  if (!groups.empty()) {
    h += "<h2>Breakout groups</h2>\n";
    for (const auto& group : groups) {
      h += "<h3>" + esc(group.room.title.empty() ? group.room.id : group.room.title) + " (<code>" + esc(group.room.id) +
           "</code>)</h3>\n";
      auto members = std::find_if(state.breakouts.groups.begin(), state.breakouts.groups.end(),
                                  [&](const BreakoutGroup& g) { return g.room == group.room.id; });
      if (members != state.breakouts.groups.end() && !members->members.empty()) {
        h += "<p>Members: ";
        for (std::size_t i = 0; i < members->members.size(); ++i) h += (i ? ", " : "") + name_of(people, members->members[i]);
        h += "</p>\n";
      } else if (members != state.breakouts.groups.end()) {
        h += "<p class=\"none\">Nobody was placed in this group.</p>\n";  // `groups:n` with fewer people
      }
      h += messages_html(clock, group.messages);
    }
  }
  const auto tagged = tagged_in_order(messages, groups);
  for (p::Tag tag : kTags) {
    h += "<h2>" + std::string(tag_heading(tag)) + "</h2>\n";
    bool any = false;
    for (const auto& [message, group] : tagged) {
      if (message->tag != tag) continue;
      h += message_html(clock, *message, group);
      any = true;
    }
    if (!any) h += "<p class=\"none\">Nothing tagged.</p>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace outloud::facilitation
