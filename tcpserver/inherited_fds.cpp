#include "tcpserver/inherited_fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace ucspi {
namespace {

// The highest descriptor number worth trying when the kernel cannot close ranges for us.
unsigned fd_ceiling() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return 1u << 20;
  return static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, 1u << 20));
}

// close_range(2) where the kernel has it (5.9 and later), a loop of close(2) where not.
void close_from_to(unsigned first, unsigned last) noexcept {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  const unsigned ceiling = std::min(last, fd_ceiling());
  for (unsigned fd = first; fd <= ceiling; ++fd) ::close(static_cast<int>(fd));
}

// Descriptor numbers from /proc/self/fd, without the directory's own.
bool list_from_proc(std::vector<int>& out) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return false;
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    const char* name = entry->d_name;
    if (*name < '0' || *name > '9') continue;
    long fd = 0;
    for (const char* p = name; *p >= '0' && *p <= '9' && fd <= INT_MAX; ++p) fd = fd * 10 + (*p - '0');
    if (fd > 2 && fd != own && fd <= INT_MAX) out.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);
  return true;
}

// Without /proc (a chroot): ask every possible descriptor.
void list_by_probing(std::vector<int>& out) {
  const unsigned ceiling = fd_ceiling();
  for (unsigned fd = 3; fd < ceiling; ++fd)
    if (::fcntl(static_cast<int>(fd), F_GETFD) != -1) out.push_back(static_cast<int>(fd));
}

}  // namespace

InheritedFds InheritedFds::capture() {
  InheritedFds inherited;
  if (!list_from_proc(inherited.fds_)) list_by_probing(inherited.fds_);
  std::sort(inherited.fds_.begin(), inherited.fds_.end());
  return inherited;
}

void InheritedFds::close_others() const noexcept {
  unsigned next = 3;
  for (int fd : fds_) {
    const auto keep = static_cast<unsigned>(fd);
    if (keep > next) close_from_to(next, keep - 1);
    next = keep + 1;
  }
  close_from_to(next, UINT_MAX);
}

void InheritedFds::close_all_above_stdio() noexcept { close_from_to(3, UINT_MAX); }

void occupy_standard_fds() noexcept {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free number, which is fd itself.
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0 && null != fd) ::close(null);
  }
}

}  // namespace ucspi
