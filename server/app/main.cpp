// outloud-server: see `outloud-server --help` and the contract's "The server process".
#include "server/app/composition.hpp"
#include "server/app/options.hpp"

int main(int argc, char* argv[]) {
  const auto parsed = outloud::app::parse_options(argc, argv);
  if (!parsed.run) return parsed.exit_code;
  return outloud::app::run_server(parsed.options);
}
