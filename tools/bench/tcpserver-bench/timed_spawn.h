// One short program timed as a login chain pays for it: posix_spawn (the vfork-like start a
// small process gets from the C library), exec, and wait, for the store curve's relay-allow,
// relay-clear and /bin/true. Not ChildProcess: its fork of the whole harness and its polling
// wait would be part of the figure.
#pragma once

#include <string>
#include <vector>

namespace ucspi::bench {

struct TimedRun {
  double ms = 0;       // from spawn to reaped
  bool clean = false;  // exit 0 and nothing on stderr (relay-allow warns and still exits 0)
};

// Runs argv (argv[0] a path) with an empty environment, stderr to stderr_path (truncated).
// Throws std::runtime_error when it cannot be started.
TimedRun timed_run(const std::vector<std::string>& argv, const std::string& stderr_path);

}  // namespace ucspi::bench
