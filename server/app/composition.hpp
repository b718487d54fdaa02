// The composition root: builds the backends (embedded or Redis), the hub and the network layer from
// the options, runs them on the I/O threads, and shuts them down in order on SIGTERM/SIGINT.
#pragma once

#include "server/app/options.hpp"

namespace outloud::app {

// Runs the server until it is told to stop. Returns the process exit code: 0 after a clean
// shutdown, 1 if it could not start (the reason is logged), 2 for a configuration it cannot use.
int run_server(const Options& options);

}  // namespace outloud::app
