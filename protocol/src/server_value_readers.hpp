// Decoding the values inside server frames (USER, ROOM, MESSAGE, presence entries) into the types
// they were serialized from, with the rules parse_client_frame applies to a client's fields.
// Each fills an existing value, reusing its strings, so a reader that keeps its values between
// frames allocates nothing for frames of the same shape. Refusals throw detail::InvalidFrame.
#pragma once

#include <string>

#include "field_reader.hpp"
#include "outloud/protocol/types.hpp"

namespace outloud::protocol::detail {

// The object held by field `name` (its fields named "<path>name.field" in refusals).
FieldReader nested(const FieldReader& fields, const char* name);
// Element `index` of an array, which must be an object; `what` names the array ("messages").
// Server frames are read in the order the server wrote their fields (Lookup::serialized_order).
FieldReader element(const rapidjson::Value& array, rapidjson::SizeType index, std::string_view what);

void assign(std::string& into, std::string_view text);
void read_user(const FieldReader& fields, User& into);
void read_room(const FieldReader& fields, Room& into);
void read_message(const FieldReader& fields, Message& into);
void read_presence_entry(const FieldReader& fields, PresenceEntry& into);
PresenceState read_presence_state(const FieldReader& fields, const char* name);

}  // namespace outloud::protocol::detail
