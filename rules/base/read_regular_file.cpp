#include "rules/base/read_regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

UniqueFd open_regular_file(const std::string& path, std::string& problem) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    problem = error_str(errno);
    return UniqueFd();
  }
  if (S_ISDIR(st.st_mode)) problem = error_str(EISDIR);
  else if (!S_ISREG(st.st_mode)) problem = "not a regular file";
  else return fd;
  return UniqueFd();
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
