#include "rules/roaming/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

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

UniqueFd open_lock_file(const std::string& path, mode_t mode) {
  // Only the creator sets the mode, so the file is opened first without O_CREAT; another
  // writer may create it in between (EEXIST), or remove it, hence a few rounds.
  for (int round = 0; round < 3; ++round) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd || errno != ENOENT) return fd;
    fd.reset(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd) {
      // Not checked: a failure would cost other users the lock, never this process, and the
      // fchmod of a file this process has just created fails only on a broken file system.
      ::fchmod(fd.get(), mode);
      return fd;
    }
    if (errno != EEXIST) return fd;
  }
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

}  // namespace ucspi
