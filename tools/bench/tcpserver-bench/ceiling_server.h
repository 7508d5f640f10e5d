// The machine's ceiling: the least a server that runs one process per connection can do.
// accept, spawn (vfork-style: no page tables copied), exec; nothing else (no environment, no
// rules, no logging, no limit on children).
// Measured like the real servers, it tells how much of what the machine can do they reach.
#pragma once

#include <string>
#include <vector>

#include "rules/base/unique_fd.h"

namespace ucspi::bench {

struct Listener {
  UniqueFd fd;
  unsigned port = 0;
};

// A listening TCP socket on 127.0.0.1, on a port the kernel picks.
Listener listen_on_loopback(int backlog);

// Serves for ever on listener: each connection becomes fd 0 and 1 of a child that execs argv
// (argv[0] a path, the environment empty). Children are reaped by the kernel (SIGCHLD
// ignored). Runs in a process of its own; ended by a signal. Throws std::runtime_error when
// accept fails for another reason than a transient one.
[[noreturn]] void serve_ceiling(const Listener& listener, const std::vector<std::string>& argv);

}  // namespace ucspi::bench
