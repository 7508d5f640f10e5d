// flock(2) with a bounded wait. flock has no timeout of its own, and a login must never hang
// behind a stuck writer (vpopmail's 10 x sleep(2) stalled POP logins for 18 s), so we poll
// with a short backoff until the deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "rules/base/unique_fd.h"

namespace ucspi {

enum class LockMode { shared, exclusive };

// Locks the open file fd (released when fd is closed). Returns 0, ETIMEDOUT when the lock
// stayed busy for longer than wait, or the errno of flock.
int lock_with_timeout(int fd, LockMode mode, std::chrono::milliseconds wait);

// Opens the lock file path read-only (enough for flock), creating it when missing with exactly
// mode, whatever the umask: the lock serves every user of the store (root's relay-allow,
// relay-clear from another user's cron), so one made 0600 under Dovecot's umask 0077 would
// shut the others out. A lock file that exists keeps its mode. Invalid with errno on failure.
UniqueFd open_lock_file(const std::string& path, mode_t mode);

}  // namespace ucspi
