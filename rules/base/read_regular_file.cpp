#include "rules/base/read_regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

std::string read_regular_file(const std::string& path, std::string& text) {
  text.clear();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return error_str(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return error_str(errno);
  if (S_ISDIR(st.st_mode)) return error_str(EISDIR);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
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
