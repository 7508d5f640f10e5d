#include "rules/roaming/background_open.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <system_error>

namespace ucspi {
namespace {

// Blocks every signal for its lifetime, in the calling thread; a thread started meanwhile
// inherits the mask.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;
  ~AllSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

}  // namespace

std::optional<BackgroundOpen> BackgroundOpen::start(std::string path, CdbMapping mapping) {
  const AllSignalsBlocked blocked;
  try {
    return BackgroundOpen(std::async(std::launch::async, [path = std::move(path), mapping] {
      Result result;
      result.err = result.base.open(path, mapping);
      return result;
    }));
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

bool BackgroundOpen::ready() const {
  return result_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

BackgroundOpen::Result BackgroundOpen::take() { return result_.get(); }

}  // namespace ucspi
