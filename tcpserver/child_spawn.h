// Starts a program as djb's tcpserver starts its child: in the child the socket on fd 0 and 1,
// tcpserver's fd 2, the descriptors tcpserver inherited and nothing else, default signal
// actions, an empty signal mask, and djb's pathexec search of $PATH. The child prints its own
// log lines (pid, ok) and, when no exec succeeds, djb's "unable to run" warning, then exits
// 111, exactly as djb's child does, in the same order.
//
// vfork, not fork: the child borrows the parent's memory until it execs, so neither copies
// page tables nor takes copy-on-write faults (c=1 latency 0.85x djb's where fork was 0.94x).
// The parent waits only for the child's few system calls before exec; the child allocates
// nothing, so its log lines are built by the parent with a hole for the pid (ChildIntro).
#pragma once

#include <sys/types.h>

#include <utility>
#include <string>
#include <vector>

#include "rules/base/exec_path.h"
#include "tcpserver/inherited_fds.h"
#include "tcpserver/logger.h"

namespace ucspi {

// The lines a child prints about itself before its program runs, each with its pid in the
// middle. Built by the parent; written by the child with one writev per line, no allocation.
class ChildIntro {
 public:
  void add_line(std::string before_pid, std::string after_pid);
  void write(unsigned long pid) const noexcept;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

class ChildLauncher {
 public:
  // Whose child it is: a connection's (an exec failure is djb's "dropping connection, unable
  // to run PROG") or a store helper's ("unable to run PROG").
  enum class Role { connection, helper };

  // path_env is tcpserver's own $PATH (null: djb's default "/bin:/usr/bin"). keep names the
  // descriptors children may inherit beyond 0, 1 and 2 (null: none).
  ChildLauncher(std::vector<std::string> argv, const char* path_env, const InheritedFds* keep,
                const Logger& log, Role role = Role::connection);
  // argv_ points into args_' strings: a copy or move would leave it pointing at the old ones.
  ChildLauncher(const ChildLauncher&) = delete;
  ChildLauncher& operator=(const ChildLauncher&) = delete;

  // The child's pid, or -1 with errno set when no process could be made. io becomes the
  // child's fd 0 and 1; envp is its environment; intro is what it prints first.
  pid_t start(char* const* envp, int io, const ChildIntro& intro) const;

  const std::string& program() const { return args_.front(); }

 private:
  [[noreturn]] void become_program(char* const* envp, int io, const ChildIntro& intro) const;
  [[noreturn]] void fail(const std::string& prefix, int err) const noexcept;

  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::vector<std::string> candidates_;
  const InheritedFds* keep_;
  const Logger& log_;
  std::string setup_failure_;  // the warnings' texts up to the error, built before any child
  std::string run_failure_;
};

}  // namespace ucspi
