#include "tcpserver/logger.h"

#include <sys/uio.h>

#include "rules/base/write_all.h"

namespace ucspi {

// Like djb's buffer_2, a broken stderr never stops the server: write errors are ignored.
void Logger::warn(std::string_view line) const {
  if (verbosity_ >= 1) write_all(2, line);
}

void Logger::verbose(std::string_view line) const {
  if (verbosity_ >= 2) write_all(2, line);
}

void Logger::warn_parts(std::initializer_list<std::string_view> parts) const {
  if (verbosity_ < 1) return;
  iovec pieces[8];
  int count = 0;
  for (std::string_view part : parts) {
    if (count == 8) break;
    pieces[count++] = iovec{const_cast<char*>(part.data()), part.size()};
  }
  [[maybe_unused]] ssize_t n = ::writev(2, pieces, count);  // one call: one line
}

}  // namespace ucspi
