// Printing a bench report for people or as one JSON object.
#pragma once

#include <string>

#include "bench.hpp"

namespace outloud::bench {

std::string report_text(const BenchOptions& options, const BenchReport& report);
std::string report_json(const BenchOptions& options, const BenchReport& report);

// Order or durability broke: gaps, duplicates, or acknowledged messages that never arrived.
bool integrity_failed(const BenchReport& report);

}  // namespace outloud::bench
