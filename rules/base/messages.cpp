#include "rules/base/messages.h"

#include <unistd.h>

#include <cerrno>

namespace ucspi {

void print_line(std::initializer_list<std::string_view> parts) {
  std::string line;
  for (std::string_view part : parts) line += part;
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(2, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

void die(int exit_code, std::initializer_list<std::string_view> parts) {
  print_line(parts);
  _exit(exit_code);
}

}  // namespace ucspi
