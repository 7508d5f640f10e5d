#include "tools/bench/tcpserver-bench/measured_run.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "rules/base/c_strings.h"
#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "rules/base/write_all.h"
#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

// Linux carries the peak RSS of the image a process execs from into its ru_maxrss, and a fork
// of the harness starts from the harness's image: the figure would never drop below the
// harness's own size. So a small /bin/sh starts a
// background subshell (a fork of sh, about 1 MiB) and exits; the helper below is a subreaper,
// so the subshell becomes its child. It waits on a gate, then execs the program; wait4 gives
// the program's own ru_maxrss. The clock starts when the gate opens: sh's start is not timed.
constexpr const char* launch = R"((read go <&3; exec "$@" <"$IN" >/dev/null 2>"$ERR" 3<&-) & echo $!)";

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + error_str(errno));
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) == -1) fail("unable to make a pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

pid_t read_pid(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (line.empty()) throw std::runtime_error("the launching sh gave no pid");
  return static_cast<pid_t>(std::stol(line));
}

// In the helper, a fork of the harness that ends after this one run: writes the RunCost to
// stdout, the harness's pipe.
void helper(const std::vector<std::string>& argv, const std::string& stdin_path,
            const std::string& stderr_path, const std::string& cwd) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
    fail("unable to become a subreaper");
  Pipe pid_pipe = make_pipe();
  Pipe gate = make_pipe();
  std::vector<std::string> sh_argv = {"/bin/sh", "-c", launch, "sh"};
  sh_argv.insert(sh_argv.end(), argv.begin(), argv.end());
  std::vector<char*> args = c_strings(sh_argv);
  const std::vector<std::string> env = {"PATH=/usr/bin:/bin", "IN=" + stdin_path, "ERR=" + stderr_path};
  std::vector<char*> envp = c_strings(env);
  const pid_t sh = fork();
  if (sh == -1) fail("unable to fork");
  if (sh == 0) {
    if (dup2(pid_pipe.write.get(), 1) == -1 || dup2(gate.read.get(), 3) == -1 ||
        chdir(cwd.c_str()) == -1)
      _exit(127);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  pid_pipe.write.reset();
  gate.read.reset();
  const pid_t pid = read_pid(pid_pipe.read.get());
  int status = 0;
  waitpid(sh, &status, 0);  // from here on the subshell is our child
  const auto start = std::chrono::steady_clock::now();
  gate.write.reset();
  rusage usage{};
  RunCost cost;
  while (wait4(pid, &cost.status, 0, &usage) == -1)
    if (errno != EINTR) fail("wait4");
  cost.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cost.maxrss_kib = usage.ru_maxrss;
  const std::string_view bytes(reinterpret_cast<const char*>(&cost), sizeof cost);
  if (write_all(1, bytes) == -1) fail("unable to report");
}

}  // namespace

RunCost measured_run(const std::vector<std::string>& argv, const std::string& stdin_path,
                     const std::string& stderr_path, const std::string& cwd,
                     std::chrono::milliseconds timeout) {
  Pipe result = make_pipe();
  ChildProcess child = ChildProcess::fork_function(
      [&] { helper(argv, stdin_path, stderr_path, cwd); }, {-1, result.write.get(), -1});
  result.write.reset();
  int status = 0;
  if (!child.wait_for(timeout, status))
    throw std::runtime_error(argv[0] + " did not finish within " + std::to_string(timeout.count()) +
                             " ms");
  RunCost cost;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      read(result.read.get(), &cost, sizeof cost) != static_cast<ssize_t>(sizeof cost))
    throw std::runtime_error("unable to run " + argv[0] + " (the measuring helper failed)");
  return cost;
}

}  // namespace ucspi::bench
