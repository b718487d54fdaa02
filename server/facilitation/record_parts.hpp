// What the Markdown and the HTML forms of the record (record.cpp, record_html.cpp) both gather.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "server/facilitation/engine.hpp"

namespace outloud::facilitation {

inline constexpr std::array<protocol::Tag, 4> kTags = {protocol::Tag::learn, protocol::Tag::do_,
                                                       protocol::Tag::reflect, protocol::Tag::share};
std::string_view tag_heading(protocol::Tag tag);

// Who took part: everyone who joined, then anyone who wrote without being recorded as joining.
std::vector<protocol::User> record_people(const SessionState& state, const std::vector<protocol::Message>& messages,
                                          const std::vector<GroupRecord>& groups);

// The tagged messages of the room and its groups together, in the order they were written.
struct TaggedMessage {
  const protocol::Message* message;
  const protocol::Room* group;  // null: the room itself
};
std::vector<TaggedMessage> tagged_in_order(const std::vector<protocol::Message>& messages,
                                           const std::vector<GroupRecord>& groups);

}  // namespace outloud::facilitation
