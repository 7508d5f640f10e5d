// What the harness leaves behind when ^C, a supervisor's SIGTERM or a closed terminal ends it
// mid-run: the private MariaDB (a mariadbd of its own, outliving the harness) and the work
// directory under /tmp. The destructors undo both on every other way out; a signal skips
// them, so each owner also registers the command that undoes it, and the handler runs those
// commands (fork, execve and waitpid only: all async-signal-safe), then dies of the signal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ucspi::bench {

// SIGINT, SIGTERM and SIGHUP run the registered commands, the newest first, then end the
// harness by the same signal. Call once, before any thread starts.
void install_signal_cleanup();

// Registers argv (argv[0] a path) until the returned guard goes. At most a few at once
// (throws std::logic_error beyond); they run with the harness's environment.
class SignalCleanup {
 public:
  explicit SignalCleanup(std::vector<std::string> argv);
  SignalCleanup(const SignalCleanup&) = delete;
  SignalCleanup& operator=(const SignalCleanup&) = delete;
  ~SignalCleanup();

 private:
  std::size_t slot_;
};

}  // namespace ucspi::bench
