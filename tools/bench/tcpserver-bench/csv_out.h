// The figures as CSV, for a spreadsheet or gnuplot: OUT/SCENARIO.csv holds the medians at each
// level, one line a level (the curve), OUT/runs.csv every run;
// OUT/tcprules.csv the tcprules curve (the store curve's: store_curve_report.h).
#pragma once

#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/measure.h"
#include "tools/bench/tcpserver-bench/tcprules_curve.h"

namespace ucspi::bench {

// Returns the files written. Throws std::runtime_error when one cannot be.
std::vector<std::string> write_csv(const std::string& dir, const std::vector<ScenarioResult>& results);

// OUT/tcprules.csv: the medians at each size, one line a size. Returns the file written.
std::string write_tcprules_csv(const std::string& dir, const TcprulesResult& result);

// Replaces path's contents with text. Throws std::runtime_error when it cannot.
void write_file(const std::string& path, const std::string& text);

// OUT/SCENARIO.csv, as write_csv names it.
std::string scenario_csv_path(const std::string& dir, const std::string& scenario);

}  // namespace ucspi::bench
