// The processes tcpserver-bench starts: servers under test, the reference tcprules, gnuplot.
// Each is an owner: its destructor kills the child's whole process group and reaps the child,
// so no server outlives the harness, whatever path leaves it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rules/base/c_strings.h"

namespace ucspi::bench {

// Where a child's standard descriptors go: -1 keeps the harness's own.
struct ChildIo {
  int in = -1;
  int out = -1;
  int err = -1;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess() { stop(); }

  // argv[0] is a path. env replaces the environment. The child leads a process group of its
  // own, so that stop() reaches the processes it starts too. A failed exec exits 127 after a
  // "tcpserver-bench: fatal: unable to run ..." line. memory_limit, unless 0, is daemontools'
  // `softlimit -m`, set just before the exec (so no softlimit program is needed). Throws
  // std::runtime_error when fork fails.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                            ChildIo io, const std::string& cwd = "", unsigned long memory_limit = 0);
  // The child runs body, then exits 0 (111 if body throws). For servers built into the harness.
  static ChildProcess fork_function(const std::function<void()>& body, ChildIo io);

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Waits at most timeout for the child's exit; its wait status, or nothing if it is still
  // running (then it is left running: the caller decides).
  bool wait_for(std::chrono::milliseconds timeout, int& status);
  // SIGKILL to the process group, then reaps the child. Idempotent.
  void stop();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// name's path as $PATH finds it, if it is there.
std::optional<std::string> find_program(const std::string& name);

// Runs argv to its end (bounded by timeout; killed past it) with stdin from the file at
// stdin_path ("" for /dev/null), in cwd. Throws std::runtime_error unless it exits 0.
void run_to_completion(const std::vector<std::string>& argv, const std::string& stdin_path,
                       const std::string& cwd, std::chrono::milliseconds timeout);

}  // namespace ucspi::bench
