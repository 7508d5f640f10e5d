// The processes tcpserver started and what to do when each exits: a connection's child (log
// its end line, free its slot) or a store helper (restart it). SIGCHLD reaps them all with one
// waitpid loop, so no one part can reap, and so lose, another part's child.
#pragma once

#include <sys/types.h>

#include <functional>
#include <unordered_map>

namespace ucspi {

class ChildRegistry {
 public:
  using OnExit = std::function<void(int wait_status)>;

  void add(pid_t pid, OnExit on_exit) { watched_.insert_or_assign(pid, std::move(on_exit)); }
  bool empty() const { return watched_.empty(); }

  // Reaps every child that has exited (waitpid WNOHANG) and runs its OnExit.
  void reap();

 private:
  std::unordered_map<pid_t, OnExit> watched_;
};

}  // namespace ucspi
