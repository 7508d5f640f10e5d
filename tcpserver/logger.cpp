#include "tcpserver/logger.h"

#include <unistd.h>

#include <cerrno>

namespace ucspi {

void Logger::write_all(std::string_view line) {
  while (!line.empty()) {
    ssize_t n = ::write(2, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // like djb's buffer_2: a broken stderr never stops the server
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

void Logger::warn(std::string_view line) const {
  if (verbosity_ >= 1) write_all(line);
}

void Logger::verbose(std::string_view line) const {
  if (verbosity_ >= 2) write_all(line);
}

}  // namespace ucspi
