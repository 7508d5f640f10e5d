#include "tools/bench/tcpserver-bench/timed_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "rules/base/c_strings.h"
#include "rules/base/error_str.h"

namespace ucspi::bench {
namespace {

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Reaps its child whatever path leaves the scope: killed first if it was never waited for.
class SpawnedChild {
 public:
  explicit SpawnedChild(pid_t pid) : pid_(pid) {}
  SpawnedChild(const SpawnedChild&) = delete;
  SpawnedChild& operator=(const SpawnedChild&) = delete;
  ~SpawnedChild() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) == -1 && errno == EINTR) {
    }
  }
  int wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) == -1)
      if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + error_str(errno));
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

}  // namespace

TimedRun timed_run(const std::vector<std::string>& argv, const std::string& stderr_path) {
  std::vector<char*> args = c_strings(argv);
  char* env[] = {nullptr};
  SpawnActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 2, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), env);
  if (spawned != 0) throw std::runtime_error("unable to run " + argv[0] + ": " + error_str(spawned));
  const int status = SpawnedChild(pid).wait();
  TimedRun run;
  run.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  struct stat st {};
  const bool quiet = stat(stderr_path.c_str(), &st) == 0 && st.st_size == 0;
  run.clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && quiet;
  return run;
}

}  // namespace ucspi::bench
