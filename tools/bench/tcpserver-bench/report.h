// What the harness prints on stdout at the end: one table per scenario (medians, ratios pair
// by pair, each rate as a fraction of the machine's ceiling where it was measured), then the
// project's goals, each met or missed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/measure.h"

namespace ucspi::bench {

// The ceiling server's median rate at level, if the ceiling scenario measured that level.
std::optional<double> ceiling_at(const std::vector<ScenarioResult>& results, unsigned level);

std::string format_tables(const std::vector<ScenarioResult>& results, const Options& options);

// "goal: ... met" / "MISSED" / "not measured" lines.
std::string format_goals(const std::vector<ScenarioResult>& results);

// The 1-minute load average; what it was says whether the figures can be trusted.
double load_average();

}  // namespace ucspi::bench
