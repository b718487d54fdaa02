#include "server/facilitation/record_parts.hpp"

#include <algorithm>

namespace outloud::facilitation {

namespace p = protocol;

std::string_view tag_heading(p::Tag tag) {
  switch (tag) {
    case p::Tag::learn: return "Learn";
    case p::Tag::do_: return "Do";
    case p::Tag::reflect: return "Reflect";
    case p::Tag::share: return "Share";
  }
  return "Other";
}

std::vector<p::User> record_people(const SessionState& state, const std::vector<p::Message>& messages,
                                   const std::vector<GroupRecord>& groups) {
  std::vector<p::User> people = state.participants;
  // A guest is marked as one (the participants kept in the state do not say so; their messages do).
  auto add_author = [&people](const p::User& user) {
    auto known = std::find_if(people.begin(), people.end(), [&](const p::User& person) { return person.id == user.id; });
    if (known == people.end()) return people.push_back(user);
    known->guest = known->guest || user.guest;
  };
  for (const auto& message : messages) add_author(message.from);
  for (const auto& group : groups)
    for (const auto& message : group.messages) add_author(message.from);
  return people;
}

std::vector<TaggedMessage> tagged_in_order(const std::vector<p::Message>& messages,
                                           const std::vector<GroupRecord>& groups) {
  std::vector<TaggedMessage> tagged;
  for (const auto& message : messages)
    if (message.tag) tagged.push_back({&message, nullptr});
  for (const auto& group : groups)
    for (const auto& message : group.messages)
      if (message.tag) tagged.push_back({&message, &group.room});
  // Stable: messages of one room written in the same millisecond keep their seq order.
  std::stable_sort(tagged.begin(), tagged.end(),
                   [](const TaggedMessage& a, const TaggedMessage& b) { return a.message->ts < b.message->ts; });
  return tagged;
}

}  // namespace outloud::facilitation
