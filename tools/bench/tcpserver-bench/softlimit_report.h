// The softlimit scenario's output: its table and goal line on stdout, OUT/softlimit.csv (a
// line a row).
#pragma once

#include <string>

#include "tools/bench/tcpserver-bench/softlimit_floor.h"

namespace ucspi::bench {

std::string format_softlimit_table(const SoftlimitResult& result);

// Ours' floor with rules and no store <= djb's.
std::string format_softlimit_goal(const SoftlimitResult& result);

// Returns the file written. Throws std::runtime_error when it cannot be.
std::string write_softlimit_csv(const std::string& dir, const SoftlimitResult& result);

}  // namespace ucspi::bench
