// The tcprules curve on stdout: its table (medians, ratios pair by pair, errors), the errors
// themselves, and its goal line.
#pragma once

#include <string>

#include "tools/bench/tcpserver-bench/tcprules_curve.h"

namespace ucspi::bench {

std::string format_tcprules_table(const TcprulesResult& result, unsigned rounds);

// "goal: ... met" / "MISSED" at the largest size.
std::string format_tcprules_goal(const TcprulesResult& result);

}  // namespace ucspi::bench
