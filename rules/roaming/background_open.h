// Opening a roaming base on a thread of its own. tcpserver copies and checks a new base whole
// before it trusts it (roaming_cdb_file.h): 170 ms at 10^6 entries, once per fold, which its
// event loop must not spend. The thread has every signal blocked, so the loop's handlers keep
// running on the main thread. A thread that cannot be started (a tight softlimit) is not an
// error: the caller opens the base itself, as before.
//
// A bare pthread, not std::async: tcpserver is linked statically for its footprint under a
// run file's softlimit, and std::future's machinery added 16 kB more to its address space.
#pragma once

#include <pthread.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "rules/roaming/roaming_cdb_file.h"

namespace ucspi {

class BackgroundOpen {
 public:
  struct Result {
    int err = 0;      // RoamingCdb::open's
    RoamingCdb base;  // open when err is 0
  };

  // The open of path under way, or nothing when no thread could be started.
  static std::optional<BackgroundOpen> start(std::string path, CdbMapping mapping);

  BackgroundOpen(BackgroundOpen&& other) noexcept;
  BackgroundOpen& operator=(BackgroundOpen&& other) noexcept;
  ~BackgroundOpen();  // waits for the thread: it is never left running

  bool ready() const;
  // The open's result, waiting for it when not ready(). Once only.
  Result take();

 private:
  struct Job {
    std::string path;
    CdbMapping mapping;
    Result result;
    std::atomic<bool> done{false};
  };

  BackgroundOpen(std::unique_ptr<Job> job, pthread_t thread)
      : job_(std::move(job)), thread_(thread), joinable_(true) {}
  static void* run(void* job) noexcept;
  void join() noexcept;

  std::unique_ptr<Job> job_;
  pthread_t thread_{};
  bool joinable_ = false;
};

}  // namespace ucspi
