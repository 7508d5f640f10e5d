// Plots of the curves (conn/s over concurrency) as SVG, drawn by gnuplot (Debian's gnuplot-nox)
// from the CSV files. gnuplot is optional: without it the run still succeeds and says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/measure.h"

namespace ucspi::bench {

// gnuplot's path as $PATH finds it, if it is there.
std::optional<std::string> find_gnuplot();

// OUT/SCENARIO.svg for each scenario measured at two levels or more, with the ceiling's curve
// beside it when there is one. Returns the files written. Throws std::runtime_error when
// gnuplot fails.
std::vector<std::string> write_plots(const std::string& gnuplot, const std::string& dir,
                                     const std::vector<ScenarioResult>& results);

}  // namespace ucspi::bench
