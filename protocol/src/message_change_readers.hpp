// Readers of the frames that correct, remove and find messages (parse_message_changes.cpp).
#pragma once

#include "field_reader.hpp"
#include "outloud/protocol/client_frames.hpp"

namespace outloud::protocol::detail {

ClientBody read_edit(const FieldReader& f, const ParseLimits& limits);
ClientBody read_delete(const FieldReader& f, const ParseLimits& limits);
ClientBody read_remove_message(const FieldReader& f, const ParseLimits& limits);
ClientBody read_changes(const FieldReader& f, const ParseLimits& limits);
ClientBody read_search(const FieldReader& f, const ParseLimits& limits);

}  // namespace outloud::protocol::detail
