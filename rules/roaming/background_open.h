// Opening a roaming base on a thread of its own. tcpserver copies and checks a new base whole
// before it trusts it (roaming_cdb_file.h): 170 ms at 10^6 entries, once per fold, which its
// event loop must not spend. The thread has every signal blocked, so the loop's handlers keep
// running on the main thread. A thread that cannot be started (a tight softlimit: its stack
// is address space too) is not an error: the caller opens the base itself, as before.
#pragma once

#include <future>
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

  bool ready() const;
  // The open's result, waiting for it when not ready(). Once only.
  Result take();

 private:
  explicit BackgroundOpen(std::future<Result> result) : result_(std::move(result)) {}
  std::future<Result> result_;
};

}  // namespace ucspi
