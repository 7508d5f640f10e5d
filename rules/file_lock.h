// flock(2) with a bounded wait. flock has no timeout of its own, and a login must never hang
// behind a stuck writer (vpopmail's 10 x sleep(2) stalled POP logins for 18 s), so we poll
// with a short backoff until the deadline.
#pragma once

#include <chrono>

namespace ucspi {

enum class LockMode { shared, exclusive };

// Locks the open file fd (released when fd is closed). Returns 0, ETIMEDOUT when the lock
// stayed busy for longer than wait, or the errno of flock.
int lock_with_timeout(int fd, LockMode mode, std::chrono::milliseconds wait);

}  // namespace ucspi
