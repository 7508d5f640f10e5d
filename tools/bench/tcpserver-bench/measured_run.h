// One run of a program to its end, with its wall time and its own peak memory (ru_maxrss from
// wait4), for the tcprules curve.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ucspi::bench {

struct RunCost {
  double wall_s = 0;
  long maxrss_kib = 0;
  int status = 0;  // wait status
};

// Runs argv (argv[0] a path) with stdin from stdin_path, stdout to /dev/null and stderr to
// stderr_path, in cwd. Throws std::runtime_error when it cannot be run or outlives timeout
// (then it is killed).
RunCost measured_run(const std::vector<std::string>& argv, const std::string& stdin_path,
                     const std::string& stderr_path, const std::string& cwd,
                     std::chrono::milliseconds timeout);

}  // namespace ucspi::bench
