#include "tcpserver/child_registry.h"

#include <sys/wait.h>

namespace ucspi {

void ChildRegistry::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = watched_.find(pid);
    if (it == watched_.end()) continue;  // not ours to report (none should exist)
    OnExit on_exit = std::move(it->second);
    watched_.erase(it);
    on_exit(status);  // may add children: the entry is gone already
  }
}

}  // namespace ucspi
