#include "server/net/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

namespace outloud::net {
namespace fs = std::filesystem;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_within(const fs::path& root, const fs::path& file) {
  auto [root_end, file_at] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return root_end == root.end();
}

}  // namespace

std::optional<std::string> decode_target_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return std::nullopt;
      int high = hex_value(target[i + 1]);
      int low = hex_value(target[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<fs::path> resolve_static_file(const fs::path& root, std::string_view path) {
  if (root.empty() || path.empty() || path.front() != '/') return std::nullopt;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return std::nullopt;

  fs::path file = root;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    // A trailing slash ("dir/") is fine; an empty segment elsewhere ("a//b") is not.
    if (segment.empty()) {
      if (!last && slash + 1 == rest.size()) break;
      return std::nullopt;
    }
    if (segment.front() == '.') return std::nullopt;  // ".", "..", dotfiles
    file /= fs::path(std::string(segment));
    if (last) break;
    rest = rest.substr(slash + 1);
  }

  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  const fs::path real = fs::canonical(file, ec);
  if (ec || !is_within(root, real) || !fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

ContentInfo content_info(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".html" || ext == ".htm") return {"text/html; charset=utf-8", true};
  // text/javascript: browsers refuse ES modules served with a non-JavaScript type.
  if (ext == ".js" || ext == ".mjs") return {"text/javascript; charset=utf-8", true};
  if (ext == ".css") return {"text/css; charset=utf-8", true};
  if (ext == ".json" || ext == ".map") return {"application/json", true};
  if (ext == ".webmanifest") return {"application/manifest+json", true};
  if (ext == ".svg") return {"image/svg+xml", false};
  if (ext == ".png") return {"image/png", false};
  if (ext == ".ico") return {"image/x-icon", false};
  if (ext == ".jpg" || ext == ".jpeg") return {"image/jpeg", false};
  if (ext == ".gif") return {"image/gif", false};
  if (ext == ".webp") return {"image/webp", false};
  if (ext == ".woff2") return {"font/woff2", false};
  if (ext == ".woff") return {"font/woff", false};
  if (ext == ".txt" || ext == ".md") return {"text/plain; charset=utf-8", true};
  return {"application/octet-stream", false};
}

}  // namespace outloud::net
