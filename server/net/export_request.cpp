#include "server/net/export_request.hpp"

#include "server/net/http_api_body.hpp"

namespace outloud::net {
namespace {

constexpr std::string_view kPrefix = "/api/rooms/", kMarkdown = "/export.md", kHtml = "/export.html";

std::optional<std::string> room_before(std::string_view path, std::string_view suffix) {
  if (path.size() <= kPrefix.size() + suffix.size()) return std::nullopt;
  if (path.substr(0, kPrefix.size()) != kPrefix || path.substr(path.size() - suffix.size()) != suffix)
    return std::nullopt;
  return std::string(path.substr(kPrefix.size(), path.size() - kPrefix.size() - suffix.size()));
}

// A zone name arrives percent-encoded at most in its '/', '+' and ':'.
std::string decode_zone(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
      const std::string code{text[i + 1], upper(text[i + 2])};
      if (code == "2F") { out += '/'; i += 2; continue; }
      if (code == "2B") { out += '+'; i += 2; continue; }
      if (code == "3A") { out += ':'; i += 2; continue; }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

std::optional<protocol::Export> export_request(std::string_view path, std::string_view query) {
  protocol::Export request;
  if (auto room = room_before(path, kMarkdown)) {
    request.room = std::move(*room);
  } else if (auto page = room_before(path, kHtml)) {
    request.room = std::move(*page);
    request.format = protocol::RecordFormat::html;
  } else {
    return std::nullopt;
  }
  if (const auto tz = query_param(query, "tz")) request.tz = decode_zone(*tz);
  return request;
}

std::string_view record_content_type(const protocol::Export& request) {
  return request.format == protocol::RecordFormat::html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8";
}

std::string record_file_name(const protocol::Export& request) {
  return request.room + (request.format == protocol::RecordFormat::html ? ".html" : ".md");
}

}  // namespace outloud::net
