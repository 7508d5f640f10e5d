// Starts a program as djb's tcpserver starts its child: fork, then in the child the socket on
// fd 0 and 1, tcpserver's fd 2, the descriptors tcpserver inherited and nothing else, default
// signal actions, an empty signal mask, and djb's pathexec search of $PATH. The parent is one
// small single-threaded process, so fork is cheap and never waits for the child: the child
// prints its own log lines (pid, ok) and, when no exec succeeds, djb's "unable to run"
// warning, then exits 111, exactly as djb's child does, in the same order.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "inherited_fds.h"
#include "logger.h"

namespace ucspi {

// The paths execve tries for a program, as djb's pathexec_run: the name itself when it holds
// a '/', else each $PATH entry (an empty one meaning ".") followed by "/name".
std::vector<std::string> exec_candidates(const std::string& program, const char* path_env);

class ChildLauncher {
 public:
  // Whose child it is: a connection's (an exec failure is djb's "dropping connection, unable
  // to run PROG") or a store helper's ("unable to run PROG").
  enum class Role { connection, helper };

  // path_env is tcpserver's own $PATH (null: djb's default "/bin:/usr/bin"). keep names the
  // descriptors children may inherit beyond 0, 1 and 2 (null: none).
  ChildLauncher(std::vector<std::string> argv, const char* path_env, const InheritedFds* keep,
                const Logger& log, Role role = Role::connection);

  // Runs in the child right after fork, with the child's pid: it prints the lines djb's child
  // prints before its exec.
  using Announce = std::function<void(unsigned long pid)>;

  // The child's pid, or -1 with errno set when no process could be made. io becomes the
  // child's fd 0 and 1; envp is its environment.
  pid_t start(char* const* envp, int io, const Announce& announce) const;

  const std::string& program() const { return args_.front(); }

 private:
  [[noreturn]] void become_program(char* const* envp, int io, const Announce& announce) const;

  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::vector<std::string> candidates_;
  const InheritedFds* keep_;
  const Logger& log_;
  Role role_;
};

}  // namespace ucspi
