// outloud — command-line client of an OutLoud server.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli_app.hpp"

namespace po = boost::program_options;
using namespace outloud::client;

int main(int argc, char** argv) {
  CliOptions options;
  bool force_script = false;
  bool force_interactive = false;
  po::options_description description(
      "Usage: outloud --url ws://HOST:PORT/ws --name NAME --org ORG [options]\n"
      "Interactive when stdin is a terminal (/help lists the commands). Otherwise scripted: one\n"
      "command or raw JSON frame per input line, every server frame printed as one JSON line.\n"
      "Exit codes: 0 success, 1 the server answered a request with an error, 2 usage or connection error.\n\n"
      "Options");
  description.add_options()
      ("help,h", "show this help")
      ("url", po::value(&options.url_text)->default_value("ws://127.0.0.1:8080/ws"), "server WebSocket URL")
      ("name", po::value(&options.name), "display name (open mode)")
      ("org", po::value(&options.org), "organisation id (open mode)")
      ("token", po::value(&options.token), "session token (accounts mode: made in the web client or with the token frame) or JWT (jwt mode); replaces --name/--org")
      ("room", po::value(&options.room), "room to join at start")
      ("script", po::bool_switch(&force_script), "scripted mode even on a terminal")
      ("interactive", po::bool_switch(&force_interactive), "interactive mode even without a terminal")
      ("wait-ms", po::value(&options.wait_ms)->default_value(5000), "scripted: longest wait for each reply")
      ("linger-ms", po::value(&options.linger_ms)->default_value(0),
       "scripted: keep printing events this long after the last reply");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
    po::notify(values);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "outloud: %s (see --help)\n", error.what());
    return kExitUsage;
  }
  if (values.count("help")) {
    std::cout << description << '\n';
    return kExitOk;
  }
  const auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "outloud: %s (see --help)\n", message.c_str());
    return kExitUsage;
  };
  if (force_script && force_interactive) return usage_error("--script and --interactive exclude each other");
  std::string error;
  const auto url = parse_ws_url(options.url_text, error);
  if (!url) return usage_error(error);
  options.url = *url;
  if (options.token.empty() && (options.name.empty() || options.org.empty()))
    return usage_error("--name and --org are required (or --token)");
  if (options.wait_ms < 1 || options.wait_ms > 600000) return usage_error("--wait-ms must be 1..600000");
  if (options.linger_ms < 0 || options.linger_ms > 3600000) return usage_error("--linger-ms must be 0..3600000");
  options.scripted = force_script || (!force_interactive && !::isatty(STDIN_FILENO));

  boost::asio::io_context io(1);
  CliApp app(io, std::move(options));
  const int code = app.run();
  std::fflush(stdout);
  std::fflush(stderr);
  // The stdin reader thread may still be blocked in read(); leave without unwinding it.
  std::_Exit(code);
}
