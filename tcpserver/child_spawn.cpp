#include "child_spawn.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string_view>

namespace ucspi {
namespace {

// The candidates djb's pathexec_run tries: the name itself when it holds a '/', else each
// $PATH entry (an empty one meaning ".") followed by "/name". Built once: the child of vfork
// must not allocate.
std::vector<std::string> exec_candidates(const std::string& program, const char* path_env) {
  if (program.find('/') != std::string::npos) return {program};
  std::vector<std::string> out;
  std::string_view path = path_env ? path_env : "/bin:/usr/bin";
  for (;;) {
    std::size_t split = path.find(':');
    std::string_view dir = path.substr(0, split);
    out.push_back((dir.empty() ? std::string(".") : std::string(dir)) + "/" + program);
    if (split == std::string_view::npos) break;
    path.remove_prefix(split + 1);
  }
  return out;
}

// Shared with the vfork child, which writes them before it execs or exits.
struct ChildReport {
  volatile int error = 0;
  volatile bool setup_failed = false;
};

// Runs in the vfork child: only async-signal-safe calls, no allocation, no return.
[[noreturn]] void become_program(const std::vector<std::string>& candidates, char* const* argv,
                                 char* const* envp, int sock, ChildReport& report) {
  // Our handlers (SIGCHLD, SIGTERM) and the ignored SIGPIPE: back to what djb's child has.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGCHLD, SIGTERM}) ::sigaction(sig, &dfl, nullptr);
  if (::dup2(sock, 0) < 0 || ::dup2(sock, 1) < 0) {
    report.error = errno;
    report.setup_failed = true;
    ::_exit(111);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int saved = 0;
  for (const std::string& path : candidates) {
    ::execve(path.c_str(), argv, envp);
    if (errno == ENOENT) continue;
    saved = errno;
    if (errno != EACCES && errno != EPERM && errno != EISDIR) break;
  }
  report.error = saved ? saved : ENOENT;
  ::_exit(111);
}

}  // namespace

ChildLauncher::ChildLauncher(std::vector<std::string> argv, const char* path_env)
    : args_(std::move(argv)), candidates_(exec_candidates(args_.front(), path_env)) {
  for (std::string& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
}

SpawnOutcome ChildLauncher::launch(char* const* envp, int sock) const {
  // Nothing may run a handler in the child, which shares our memory, until it has reset them.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  ChildReport report;
  // The child writes report in our memory; the compiler cannot know that, so the address
  // escapes into an opaque barrier and memory is reloaded after the child is done.
  asm volatile("" : : "r"(&report) : "memory");
  pid_t pid = ::vfork();
  if (pid == 0) become_program(candidates_, argv_.data(), envp, sock, report);
  int fork_error = errno;
  asm volatile("" : : "r"(&report) : "memory");
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);

  SpawnOutcome out;
  if (pid < 0) {
    out.error = fork_error;
    out.fork_failed = true;
    return out;
  }
  out.pid = pid;  // vfork returns once the child has exec'd or exited: report is final
  out.error = report.error;
  out.setup_failed = report.setup_failed;
  return out;
}

}  // namespace ucspi
