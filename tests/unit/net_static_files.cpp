// Static files of the web client: the request path never leads out of the web root, and each kind
// of file gets its content type. A real temporary web root on disk, no sockets.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/net/static_files.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace net_static_files_test {

namespace fs = std::filesystem;
using outloud::net::content_info;
using outloud::net::decode_target_path;
using outloud::net::resolve_static_file;

namespace {

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// <tmp>/outloud-net-static-<pid>/web (the root, canonical) beside <tmp>/.../outside.txt.
struct WebRoot {
  fs::path base;
  fs::path root;

  WebRoot() {
    base = fs::temp_directory_path() / ("outloud-net-static-" + std::to_string(::getpid()));
    fs::remove_all(base);
    fs::create_directories(base / "web" / "js");
    fs::create_directories(base / "web" / "docs");
    fs::create_directories(base / "web" / "empty");
    root = fs::canonical(base / "web");
    write_file(root / "index.html", "<!doctype html>");
    write_file(root / "app.css", "body{}");
    write_file(root / "js" / "main.js", "export {}");
    write_file(root / "docs" / "index.html", "docs");
    write_file(root / ".env", "SECRET=1");
    write_file(base / "outside.txt", "outside");
    fs::create_directory_symlink("/etc", root / "etc-link");
    fs::create_symlink(base / "outside.txt", root / "outside-link.txt");
    fs::create_symlink(root / "app.css", root / "inside-link.css");
  }
  ~WebRoot() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

// What the HTTP session does with a request target: decode it, then resolve the decoded path.
std::optional<fs::path> serve(const fs::path& root, std::string_view target) {
  const auto path = decode_target_path(target);
  if (!path) return std::nullopt;
  return resolve_static_file(root, *path);
}

}  // namespace

TEST_CASE("decode_target_path: query and fragment dropped, percent-decoding, malformed refused", "[net]") {
  CHECK(decode_target_path("/a/b.js?x=1") == std::optional<std::string>("/a/b.js"));
  CHECK(decode_target_path("/a#frag") == std::optional<std::string>("/a"));
  CHECK(decode_target_path("/a%20b") == std::optional<std::string>("/a b"));
  CHECK(decode_target_path("/%41%62") == std::optional<std::string>("/Ab"));
  CHECK(decode_target_path("/%2e%2E/x") == std::optional<std::string>("/../x"));
  CHECK(decode_target_path("/a%2fb") == std::optional<std::string>("/a/b"));
  CHECK(decode_target_path("/") == std::optional<std::string>("/"));

  CHECK_FALSE(decode_target_path("/a%00b"));  // NUL
  CHECK_FALSE(decode_target_path("/a%"));
  CHECK_FALSE(decode_target_path("/a%4"));
  CHECK_FALSE(decode_target_path("/a%zz"));
  CHECK_FALSE(decode_target_path("/a%g1"));
  CHECK_FALSE(decode_target_path(std::string_view("/a\0b", 4)));
}

TEST_CASE("resolve_static_file: files inside the web root, index.html for directories", "[net]") {
  const WebRoot web;
  const fs::path& root = web.root;

  CHECK(resolve_static_file(root, "/") == std::optional<fs::path>(root / "index.html"));
  CHECK(resolve_static_file(root, "/index.html") == std::optional<fs::path>(root / "index.html"));
  CHECK(resolve_static_file(root, "/app.css") == std::optional<fs::path>(root / "app.css"));
  CHECK(resolve_static_file(root, "/js/main.js") == std::optional<fs::path>(root / "js" / "main.js"));
  CHECK(resolve_static_file(root, "/docs") == std::optional<fs::path>(root / "docs" / "index.html"));
  CHECK(resolve_static_file(root, "/docs/") == std::optional<fs::path>(root / "docs" / "index.html"));
  CHECK(serve(root, "/js/main.js?v=3") == std::optional<fs::path>(root / "js" / "main.js"));
  // A symlink whose target stays inside the root is followed.
  CHECK(resolve_static_file(root, "/inside-link.css") == std::optional<fs::path>(root / "app.css"));

  // Nothing there, or a directory without index.html.
  CHECK_FALSE(resolve_static_file(root, "/missing.js"));
  CHECK_FALSE(resolve_static_file(root, "/js"));
  CHECK_FALSE(resolve_static_file(root, "/empty/"));
  // No web root installed: nothing is served.
  CHECK_FALSE(resolve_static_file(fs::path(), "/"));
}

TEST_CASE("resolve_static_file: no way out of the web root", "[net]") {
  const WebRoot web;
  const fs::path& root = web.root;

  SECTION("dot segments, plain and percent-encoded") {
    CHECK_FALSE(resolve_static_file(root, "/../outside.txt"));
    CHECK_FALSE(resolve_static_file(root, "/js/../../outside.txt"));
    CHECK_FALSE(resolve_static_file(root, "/js/../index.html"));  // even when it would stay inside
    CHECK_FALSE(resolve_static_file(root, "/./index.html"));
    CHECK_FALSE(resolve_static_file(root, "/.."));
    CHECK_FALSE(serve(root, "/%2e%2e/outside.txt"));
    CHECK_FALSE(serve(root, "/%2E%2E/outside.txt"));
    CHECK_FALSE(serve(root, "/.%2e/outside.txt"));
    CHECK_FALSE(serve(root, "/js%2f..%2f..%2foutside.txt"));
    CHECK_FALSE(serve(root, "/..%2foutside.txt"));
    CHECK_FALSE(serve(root, "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"));
  }
  SECTION("backslashes, plain and percent-encoded") {
    CHECK_FALSE(resolve_static_file(root, "/..\\outside.txt"));
    CHECK_FALSE(resolve_static_file(root, "/js\\main.js"));
    CHECK_FALSE(serve(root, "/..%5coutside.txt"));
    CHECK_FALSE(serve(root, "/js%5Cmain.js"));
  }
  SECTION("NUL, plain and percent-encoded") {
    CHECK_FALSE(resolve_static_file(root, std::string_view("/index.html\0.png", 16)));
    CHECK_FALSE(serve(root, "/index.html%00.png"));
  }
  SECTION("absolute and non-rooted paths") {
    CHECK_FALSE(resolve_static_file(root, "/etc/passwd"));  // is taken relative to the root, where it is not
    CHECK_FALSE(resolve_static_file(root, "//etc/passwd"));
    CHECK_FALSE(serve(root, "/%2fetc%2fpasswd"));
    CHECK_FALSE(resolve_static_file(root, "etc/passwd"));
    CHECK_FALSE(resolve_static_file(root, "index.html"));
    CHECK_FALSE(resolve_static_file(root, ""));
    CHECK_FALSE(resolve_static_file(root, (web.base / "outside.txt").string()));
    CHECK_FALSE(serve(root, "http://example.org/index.html"));
  }
  SECTION("empty segments") {
    CHECK_FALSE(resolve_static_file(root, "/js//main.js"));
  }
  SECTION("dotfiles and dot directories") {
    CHECK_FALSE(resolve_static_file(root, "/.env"));
    CHECK_FALSE(serve(root, "/%2eenv"));
    CHECK_FALSE(resolve_static_file(root, "/.git/config"));
    CHECK_FALSE(resolve_static_file(root, "/js/.hidden.js"));
  }
  SECTION("symlinks leading outside the root") {
    REQUIRE(fs::exists("/etc/passwd"));
    REQUIRE(fs::is_symlink(root / "etc-link"));
    CHECK_FALSE(resolve_static_file(root, "/etc-link/passwd"));
    CHECK_FALSE(resolve_static_file(root, "/etc-link"));
    CHECK_FALSE(resolve_static_file(root, "/etc-link/"));
    CHECK_FALSE(resolve_static_file(root, "/outside-link.txt"));
  }
}

TEST_CASE("content_info: type and revalidation per kind of file", "[net]") {
  auto type = [](const char* name) { return std::string(content_info(name).type); };
  CHECK(type("index.html") == "text/html; charset=utf-8");
  CHECK(type("INDEX.HTML") == "text/html; charset=utf-8");
  CHECK(type("app.js") == "text/javascript; charset=utf-8");
  CHECK(type("mod.mjs") == "text/javascript; charset=utf-8");
  CHECK(type("app.css") == "text/css; charset=utf-8");
  CHECK(type("logo.svg") == "image/svg+xml");
  CHECK(type("icon.png") == "image/png");
  CHECK(type("data.json") == "application/json");
  CHECK(type("favicon.ico") == "image/x-icon");
  CHECK(type("archive.bin") == "application/octet-stream");
  CHECK(type("README") == "application/octet-stream");
  CHECK(type(".html") == "application/octet-stream");  // a dotfile named ".html" has no extension

  // Pages and code change with every deploy; images may be cached.
  CHECK(content_info("index.html").revalidate);
  CHECK(content_info("app.js").revalidate);
  CHECK(content_info("app.css").revalidate);
  CHECK(content_info("data.json").revalidate);
  CHECK_FALSE(content_info("logo.svg").revalidate);
  CHECK_FALSE(content_info("icon.png").revalidate);
  CHECK_FALSE(content_info("favicon.ico").revalidate);
}

}  // namespace net_static_files_test
