#include "rules/base/read_regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

int open_regular(const char* path, UniqueFd& fd, struct stat& st) {
  fd.reset(::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  int err = 0;
  if (!fd || ::fstat(fd.get(), &st) != 0) err = errno;
  else if (S_ISDIR(st.st_mode)) err = EISDIR;
  else if (!S_ISREG(st.st_mode)) err = EPROTO;
  if (err != 0) fd.reset();
  return err;
}

UniqueFd open_regular_file(const std::string& path, std::string& problem) {
  UniqueFd fd;
  struct stat st {};
  const int err = open_regular(path.c_str(), fd, st);
  if (err == EPROTO) problem = "not a regular file";
  else if (err != 0) problem = error_str(err);
  return fd;
}

std::string read_regular_file(const std::string& path, std::string& text) {
  text.clear();
  std::string problem;
  UniqueFd fd = open_regular_file(path, problem);
  if (!fd) return problem;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error_str(errno);
    if (n == 0) return {};
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace ucspi
