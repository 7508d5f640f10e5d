#include "tcpserver/child_spawn.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

#include "rules/base/error_str.h"
#include "rules/base/exec_path.h"
#include "tcpserver/log_lines.h"

namespace ucspi {

void ChildIntro::add_line(std::string before_pid, std::string after_pid) {
  lines_.emplace_back(std::move(before_pid), std::move(after_pid));
}

void ChildIntro::write(unsigned long pid) const noexcept {
  char digits[24];
  char* start = digits + sizeof digits;
  do {
    *--start = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid != 0);
  for (const auto& [before, after] : lines_) {
    iovec parts[3] = {{const_cast<char*>(before.data()), before.size()},
                      {start, static_cast<std::size_t>(digits + sizeof digits - start)},
                      {const_cast<char*>(after.data()), after.size()}};
    [[maybe_unused]] ssize_t n = ::writev(2, parts, 3);
  }
}

ChildLauncher::ChildLauncher(std::vector<std::string> argv, const char* path_env,
                             const InheritedFds* keep, const Logger& log, Role role)
    : args_(std::move(argv)), candidates_(exec_candidates(args_.front(), path_env)), keep_(keep),
      log_(log) {
  for (std::string& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  if (role == Role::connection) {
    setup_failure_ = connection_setup_failure_head();
    run_failure_ = connection_run_failure_head(args_.front());
  } else {
    setup_failure_ = helper_setup_failure_head(args_.front());
    run_failure_ = helper_run_failure_head(args_.front());
  }
}

pid_t ChildLauncher::start(char* const* envp, int io, const ChildIntro& intro) const {
  // No handler may run in the child, which shares our memory, until it has reset them.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  const pid_t pid = ::vfork();
  if (pid == 0) become_program(envp, io, intro);
  const int err = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return pid;
}

// Runs in the vfork child: only system calls, no allocation, no return.
void ChildLauncher::become_program(char* const* envp, int io, const ChildIntro& intro) const {
  intro.write(static_cast<unsigned long>(::getpid()));
  // Our handlers (SIGCHLD, SIGTERM) and the ignored SIGPIPE: back to what djb's child has.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGCHLD, SIGTERM}) ::sigaction(sig, &dfl, nullptr);
  if (::dup2(io, 0) < 0 || ::dup2(io, 1) < 0) fail(setup_failure_, errno);
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
  fail(run_failure_, failure ? failure : ENOENT);
}

void ChildLauncher::fail(const std::string& prefix, int err) const noexcept {
  if (log_.verbosity() >= 1) {
    const char* text = error_str(err);
    iovec parts[3] = {{const_cast<char*>(prefix.data()), prefix.size()},
                      {const_cast<char*>(text), std::strlen(text)},
                      {const_cast<char*>("\n"), 1}};
    [[maybe_unused]] ssize_t n = ::writev(2, parts, 3);
  }
  ::_exit(111);
}

}  // namespace ucspi
