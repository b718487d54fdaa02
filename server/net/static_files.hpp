// Mapping a request path onto a file of the web client, safely: no way out of the web root.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace outloud::net {

// The path part of a request target ("/a/b.js?x=1" -> "/a/b.js"), percent-decoded.
// nullopt if the encoding is malformed or the result contains NUL.
std::optional<std::string> decode_target_path(std::string_view target);

// The file under `root` (canonical) that `path` (decoded, starting with '/') names, or nullopt when
// there is none or the path is not acceptable: "..", ".", hidden segments, backslashes, empty
// segments, or a symlink that leads outside the root. A directory maps to its index.html.
std::optional<std::filesystem::path> resolve_static_file(const std::filesystem::path& root, std::string_view path);

struct ContentInfo {
  std::string_view type;
  bool revalidate;  // Cache-Control: no-cache (code and pages change with every deploy)
};
ContentInfo content_info(const std::filesystem::path& file);

}  // namespace outloud::net
