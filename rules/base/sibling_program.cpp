#include "rules/base/sibling_program.h"

#include <unistd.h>

namespace ucspi {

std::optional<std::string> sibling_program(const std::string& name) {
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= self.size()) return std::nullopt;
  self.resize(static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}

}  // namespace ucspi
