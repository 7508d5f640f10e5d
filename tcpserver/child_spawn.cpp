#include "child_spawn.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string_view>

#include "error_str.h"
#include "log_lines.h"

namespace ucspi {

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

ChildLauncher::ChildLauncher(std::vector<std::string> argv, const char* path_env,
                             const InheritedFds* keep, const Logger& log, Role role)
    : args_(std::move(argv)), candidates_(exec_candidates(args_.front(), path_env)), keep_(keep),
      log_(log), role_(role) {
  for (std::string& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
}

pid_t ChildLauncher::start(char* const* envp, int io, const Announce& announce) const {
  const pid_t pid = ::fork();
  if (pid == 0) become_program(envp, io, announce);
  return pid;
}

void ChildLauncher::become_program(char* const* envp, int io, const Announce& announce) const {
  // The parent is single-threaded, so its copy here may allocate and format like any code.
  announce(static_cast<unsigned long>(::getpid()));
  // Our handlers (SIGCHLD, SIGTERM) and the ignored SIGPIPE: back to what djb's child has.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGCHLD, SIGTERM}) ::sigaction(sig, &dfl, nullptr);
  if (::dup2(io, 0) < 0 || ::dup2(io, 1) < 0) {
    log_.warn(dropping_line("unable to set up descriptors: " + std::string(error_str(errno))));
    ::_exit(111);
  }
  if (keep_)
    keep_->close_others();
  else
    InheritedFds::close_all_above_stdio();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int failure = 0;
  for (const std::string& path : candidates_) {
    ::execve(path.c_str(), argv_.data(), envp);
    if (errno == ENOENT) continue;
    failure = errno;
    if (errno != EACCES && errno != EPERM && errno != EISDIR) break;
  }
  const std::string what = "unable to run " + args_.front() + ": " +
                          error_str(failure ? failure : ENOENT);
  log_.warn(role_ == Role::connection ? dropping_line(what) : "tcpserver: warning: " + what + "\n");
  ::_exit(111);
}

}  // namespace ucspi
