// Process samples for /metrics, named as Prometheus' client libraries name them: the build, and
// the file descriptors held against their limit (one per connection; at the limit newcomers are
// refused, outloud_connections_refused_total{reason="descriptor_limit"}).
#pragma once

#include <string>

namespace outloud::core {

std::string process_metrics_text();
// The version this was built as (CMake's project version): --version and outloud_build_info agree.
const char* build_version();

}  // namespace outloud::core
