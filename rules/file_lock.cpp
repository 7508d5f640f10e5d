#include "file_lock.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace ucspi {

int lock_with_timeout(int fd, LockMode mode, std::chrono::milliseconds wait) {
  using clock = std::chrono::steady_clock;
  const int operation = (mode == LockMode::shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  const auto deadline = clock::now() + wait;
  // Writers hold the lock for a few milliseconds, so start with short naps and cap them low:
  // a long nap would add its length to the latency of every contended login.
  std::chrono::microseconds nap(50);
  for (;;) {
    if (::flock(fd, operation) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return errno;
    const auto now = clock::now();
    if (now >= deadline) return ETIMEDOUT;
    std::this_thread::sleep_for(std::min<clock::duration>(nap, deadline - now));
    nap = std::min(nap * 2, std::chrono::microseconds(2000));
  }
}

}  // namespace ucspi
