// Plots of the curves (conn/s over concurrency) as SVG, drawn by gnuplot (Debian's gnuplot-nox)
// from the CSV files. gnuplot is optional: without it the run still succeeds and says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/measure.h"
#include "tools/bench/tcpserver-bench/tcprules_curve.h"

namespace ucspi::bench {

// gnuplot's path as $PATH finds it, if it is there.
std::optional<std::string> find_gnuplot();

// Writes script to OUT/NAME.gp and runs gnuplot on it in OUT; the script writes NAME.svg, whose
// path this returns. Throws std::runtime_error when gnuplot fails.
std::string draw_plot(const std::string& gnuplot, const std::string& dir, const std::string& name,
                      const std::string& script);

// OUT/SCENARIO.svg for each scenario measured at two levels or more, with the ceiling's curve
// beside it when there is one. Returns the files written. Throws std::runtime_error when
// gnuplot fails.
std::vector<std::string> write_plots(const std::string& gnuplot, const std::string& dir,
                                     const std::vector<ScenarioResult>& results);

// OUT/tcprules.svg from OUT/tcprules.csv: wall time and peak memory over the size, both axes
// logarithmic (ten lines to a million). Returns the file written.
std::string write_tcprules_plot(const std::string& gnuplot, const std::string& dir,
                                const TcprulesResult& result);

}  // namespace ucspi::bench
