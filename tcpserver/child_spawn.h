// Starts the child with posix_spawn (never fork(): the parent may be large), the socket on
// fd 0 and 1, fd 2 inherited, signals default and unblocked, every other fd closed by CLOEXEC.
// A program name without '/' is searched in PATH like djb's pathexec_run.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ucspi {

struct SpawnOutcome {
  pid_t pid = -1;
  int error = 0;             // errno when pid < 0
  bool fork_failed = false;  // the process could not be created (else: the exec failed)
};

// path_env is the PATH of tcpserver's own environment (djb searches the original PATH, not
// one a rule sets); null means djb's default "/bin:/usr/bin".
SpawnOutcome spawn_child(const std::vector<std::string>& argv, char* const* envp, int sock,
                         const char* path_env);

}  // namespace ucspi
