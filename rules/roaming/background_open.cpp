#include "rules/roaming/background_open.h"

#include <signal.h>

#include <cerrno>
#include <utility>

namespace ucspi {
namespace {

// Copying and checking a cdb needs little stack; the default 8 MB would count against a
// softlimit's address space for nothing.
constexpr std::size_t thread_stack = 256 * 1024;

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

class ThreadAttributes {
 public:
  ThreadAttributes() : ok_(::pthread_attr_init(&attr_) == 0) {
    if (ok_) ::pthread_attr_setstacksize(&attr_, thread_stack);
  }
  ThreadAttributes(const ThreadAttributes&) = delete;
  ThreadAttributes& operator=(const ThreadAttributes&) = delete;
  ~ThreadAttributes() {
    if (ok_) ::pthread_attr_destroy(&attr_);
  }
  const pthread_attr_t* get() const { return ok_ ? &attr_ : nullptr; }

 private:
  pthread_attr_t attr_;
  bool ok_;
};

}  // namespace

std::optional<BackgroundOpen> BackgroundOpen::start(std::string path, CdbMapping mapping) {
  auto job = std::make_unique<Job>();
  job->path = std::move(path);
  job->mapping = mapping;
  const AllSignalsBlocked blocked;
  const ThreadAttributes attributes;
  pthread_t thread;
  if (::pthread_create(&thread, attributes.get(), &BackgroundOpen::run, job.get()) != 0)
    return std::nullopt;
  return BackgroundOpen(std::move(job), thread);
}

void* BackgroundOpen::run(void* arg) noexcept {
  auto* job = static_cast<Job*>(arg);
  try {
    job->result.err = job->result.base.open(job->path, job->mapping);
  } catch (...) {  // the check's tables: out of memory
    job->result.err = ENOMEM;
  }
  job->done.store(true, std::memory_order_release);
  return nullptr;
}

BackgroundOpen::BackgroundOpen(BackgroundOpen&& other) noexcept
    : job_(std::move(other.job_)), thread_(other.thread_),
      joinable_(std::exchange(other.joinable_, false)) {}

BackgroundOpen& BackgroundOpen::operator=(BackgroundOpen&& other) noexcept {
  if (this != &other) {
    join();
    job_ = std::move(other.job_);
    thread_ = other.thread_;
    joinable_ = std::exchange(other.joinable_, false);
  }
  return *this;
}

BackgroundOpen::~BackgroundOpen() { join(); }

bool BackgroundOpen::ready() const { return job_ && job_->done.load(std::memory_order_acquire); }

BackgroundOpen::Result BackgroundOpen::take() {
  join();
  return std::move(job_->result);
}

void BackgroundOpen::join() noexcept {
  if (!joinable_) return;
  ::pthread_join(thread_, nullptr);
  joinable_ = false;
}

}  // namespace ucspi
