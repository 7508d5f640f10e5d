// The store curve's output: its tables and goal lines on stdout, OUT/store-curve.csv (a line a
// size), OUT/store-writers.csv (the writers' run) and OUT/store-curve.svg.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/store_curve.h"

namespace ucspi::bench {

std::string format_store_curve_table(const StoreCurveResult& result, long rounds, long lookups);

// Issue 11's goals: relay-allow p50 <= 2 ms and p99 <= 5 ms for new and refreshed IPs at
// every size (with /bin/true and a static no-op beside: what a process costs here, and the
// store's part timed in process), tcpserver's lookup flat
// over sizes, and no login lost with many writers at once.
std::string format_store_curve_goals(const StoreCurveResult& result);

// Returns the files written. Throws std::runtime_error when one cannot be.
std::vector<std::string> write_store_curve_csv(const std::string& dir, const StoreCurveResult& result);

// OUT/store-curve.svg from OUT/store-curve.csv, both axes logarithmic (entries; ms). Returns
// the file written. Throws std::runtime_error when gnuplot fails.
std::string write_store_curve_plot(const std::string& gnuplot, const std::string& dir);

}  // namespace ucspi::bench
