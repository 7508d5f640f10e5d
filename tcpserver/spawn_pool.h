// Starts children on a few worker threads. vfork suspends its caller until the child has
// exec'd; on a busy machine that wait includes the child's wait for a CPU, and in the event
// loop it would stall every other connection (measured: about 0.6x djb's rate at 16 clients).
// The loop hands each spawn to a worker and hears back through an eventfd.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "child_spawn.h"
#include "event_handles.h"
#include "unique_fd.h"

namespace ucspi {

class SpawnPool {
 public:
  // done runs on the event loop's thread, once per submitted job.
  using Done = std::function<void(std::uint64_t id, const SpawnOutcome& outcome)>;

  SpawnPool(event_base* base, const ChildLauncher& launcher, unsigned threads, Done done);
  SpawnPool(const SpawnPool&) = delete;
  SpawnPool& operator=(const SpawnPool&) = delete;
  ~SpawnPool();

  bool ok() const { return event_ != nullptr; }

  // envp and the strings it points to, and fd, must stay valid until done(id) has run.
  void submit(std::uint64_t id, std::vector<char*> envp, int fd);

 private:
  struct Job {
    std::uint64_t id;
    std::vector<char*> envp;
    int fd;
    SpawnOutcome outcome;
  };

  void work();
  void deliver();
  static void on_wakeup(evutil_socket_t, short, void* self);

  const ChildLauncher& launcher_;
  Done done_;
  UniqueFd wakeup_;
  EventPtr event_;
  std::mutex mutex_;
  std::condition_variable wanted_;
  std::deque<Job> todo_;
  std::vector<Job> finished_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ucspi
