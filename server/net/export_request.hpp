// GET /api/rooms/<room>/export.md (Markdown) or /export.html (a printable page), with an optional
// ?tz=<zone> ("Europe/London", "+01:00"; default UTC) for the times in the record.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "outloud/protocol/client_frames.hpp"

namespace outloud::net {

// The record asked for by this path and query; nullopt when the path is no record's.
std::optional<protocol::Export> export_request(std::string_view path, std::string_view query);

// "text/markdown; charset=utf-8" or "text/html; charset=utf-8", and the file name to save as.
std::string_view record_content_type(const protocol::Export& request);
std::string record_file_name(const protocol::Export& request);

}  // namespace outloud::net
