#include "spawn_pool.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <csignal>

namespace ucspi {

SpawnPool::SpawnPool(event_base* base, const ChildLauncher& launcher, unsigned threads, Done done)
    : launcher_(launcher), done_(std::move(done)),
      wakeup_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wakeup_) return;
  event_.reset(event_new(base, wakeup_.get(), EV_READ | EV_PERSIST, &SpawnPool::on_wakeup, this));
  if (!event_ || event_add(event_.get(), nullptr) != 0) {
    event_.reset();
    return;
  }
  // Workers take no signals: SIGCHLD and SIGTERM belong to the event loop's thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

SpawnPool::~SpawnPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void SpawnPool::submit(std::uint64_t id, std::vector<char*> envp, int fd) {
  {
    std::lock_guard lock(mutex_);
    todo_.push_back(Job{id, std::move(envp), fd, {}});
  }
  wanted_.notify_one();
}

void SpawnPool::work() {
  for (;;) {
    Job job{};
    {
      std::unique_lock lock(mutex_);
      wanted_.wait(lock, [this] { return stopping_ || !todo_.empty(); });
      if (stopping_) return;
      job = std::move(todo_.front());
      todo_.pop_front();
    }
    job.outcome = launcher_.launch(job.envp.data(), job.fd);
    {
      std::lock_guard lock(mutex_);
      finished_.push_back(std::move(job));
    }
    std::uint64_t one = 1;
    ssize_t ignored = ::write(wakeup_.get(), &one, sizeof one);  // cannot fail but by overflow
    (void)ignored;
  }
}

void SpawnPool::on_wakeup(evutil_socket_t, short, void* self) {
  static_cast<SpawnPool*>(self)->deliver();
}

void SpawnPool::deliver() {
  std::uint64_t count;
  ssize_t ignored = ::read(wakeup_.get(), &count, sizeof count);
  (void)ignored;
  std::vector<Job> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(finished_);
  }
  for (const Job& job : batch) done_(job.id, job.outcome);
}

}  // namespace ucspi
