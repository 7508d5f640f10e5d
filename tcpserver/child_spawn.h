// Starts the child as djb's tcpserver does after its fork, but with vfork: the parent (large,
// threaded, linked with libmariadb) is never copied. The child gets the socket on fd 0 and 1,
// tcpserver's fd 2, default signal actions, an empty signal mask, and no other descriptor
// (every other fd is close-on-exec). A program name without '/' is searched in the original
// $PATH exactly like djb's pathexec_run; if no exec succeeds the child exits 111, as his does.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ucspi {

struct SpawnOutcome {
  pid_t pid = -1;            // the child, also when its exec failed (it then exits 111)
  int error = 0;             // errno of the failure, 0 when the program runs
  bool fork_failed = false;  // no process could be created (pid < 0)
  bool setup_failed = false; // dup2 of the socket failed ("unable to set up descriptors")
};

class ChildLauncher {
 public:
  // path_env is tcpserver's own $PATH (null: djb's default "/bin:/usr/bin").
  ChildLauncher(std::vector<std::string> argv, const char* path_env);

  // Safe to call from several threads at once. envp must stay valid during the call.
  SpawnOutcome launch(char* const* envp, int sock) const;

 private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::vector<std::string> candidates_;  // the paths execve tries, in order
};

}  // namespace ucspi
