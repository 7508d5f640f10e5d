#include "tools/bench/tcpserver-bench/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/base/exec_path.h"
#include "rules/base/messages.h"
#include "rules/base/unique_fd.h"

namespace ucspi::bench {
namespace {

// In the child, between fork and exec or body: its own process group, its descriptors.
void enter_child(const ChildIo& io, pid_t harness) {
  setpgid(0, 0);
  // The servers are in groups of their own, out of reach of a ^C at the terminal: should the
  // harness die without its destructors (a signal), the kernel kills them.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != harness) _exit(111);
  signal(SIGPIPE, SIG_DFL);
  const int want[3] = {io.in, io.out, io.err};
  for (int target = 0; target < 3; ++target)
    if (want[target] >= 0 && want[target] != target && dup2(want[target], target) == -1) _exit(111);
}

// As `softlimit -m bytes` sets them: the soft limits of the data segment, the stack, locked
// memory and the address space, each at most its hard limit. In the child only.
void set_softlimit_m(unsigned long bytes) {
  for (const int resource : {RLIMIT_DATA, RLIMIT_STACK, RLIMIT_MEMLOCK, RLIMIT_AS}) {
    rlimit limit{};
    if (getrlimit(resource, &limit) == -1) die_sys(errno, {"tcpserver-bench: fatal: getrlimit failed"});
    limit.rlim_cur = std::min<rlim_t>(bytes, limit.rlim_max);
    if (setrlimit(resource, &limit) == -1) die_sys(errno, {"tcpserver-bench: fatal: setrlimit failed"});
  }
}

pid_t fork_or_throw() {
  const pid_t pid = fork();
  if (pid == -1) throw std::runtime_error(std::string("unable to fork: ") + error_str(errno));
  return pid;
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, ChildIo io,
                                 const std::string& cwd, unsigned long memory_limit) {
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp = c_strings(env);
  const pid_t harness = getpid();
  const pid_t pid = fork_or_throw();
  if (pid == 0) {
    enter_child(io, harness);
    if (!cwd.empty() && chdir(cwd.c_str()) == -1)
      die_sys(errno, {"tcpserver-bench: fatal: unable to chdir to ", cwd});
    if (memory_limit != 0) set_softlimit_m(memory_limit);
    execve(args[0], args.data(), envp.data());
    print_line({"tcpserver-bench: fatal: unable to run ", argv[0], ": ", error_str(errno)});
    _exit(127);
  }
  setpgid(pid, pid);  // also here: stop() may come before the child has run at all
  return ChildProcess(pid);
}

ChildProcess ChildProcess::fork_function(const std::function<void()>& body, ChildIo io) {
  const pid_t harness = getpid();
  const pid_t pid = fork_or_throw();
  if (pid == 0) {
    enter_child(io, harness);
    try {
      body();
    } catch (const std::exception& e) {
      die(111, {"tcpserver-bench: fatal: ", e.what()});
    }
    _exit(0);
  }
  setpgid(pid, pid);
  return ChildProcess(pid);
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout, int& status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r == -1 && errno != EINTR)) {
      killpg(pid_, SIGKILL);  // what it left behind in its group
      pid_ = -1;
      return r != -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void ChildProcess::stop() {
  if (pid_ <= 0) return;
  killpg(pid_, SIGKILL);
  kill(pid_, SIGKILL);  // should setpgid have lost its race with the exec
  while (waitpid(pid_, nullptr, 0) == -1 && errno == EINTR) {
  }
  pid_ = -1;
}

std::optional<std::string> find_program(const std::string& name) {
  for (const std::string& path : exec_candidates(name, std::getenv("PATH")))
    if (access(path.c_str(), X_OK) == 0) return path;
  return std::nullopt;
}

void run_to_completion(const std::vector<std::string>& argv, const std::string& stdin_path,
                       const std::string& cwd, std::chrono::milliseconds timeout) {
  const std::string in_path = stdin_path.empty() ? "/dev/null" : stdin_path;
  UniqueFd in(open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw std::runtime_error("unable to open " + in_path + ": " + error_str(errno));
  ChildProcess child = ChildProcess::spawn(argv, {"PATH=/usr/bin:/bin"}, {in.get(), -1, -1}, cwd);
  int status = 0;
  if (!child.wait_for(timeout, status))
    throw std::runtime_error(argv[0] + " did not finish within " +
                             std::to_string(timeout.count()) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(argv[0] + " failed (wait status " + std::to_string(status) + ")");
}

}  // namespace ucspi::bench
