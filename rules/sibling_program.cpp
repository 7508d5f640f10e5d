#include "sibling_program.h"

#include <unistd.h>

#include "roaming_store.h"

namespace ucspi {

std::string sibling_program(const char* name) {
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= self.size())
    throw StoreError(std::string("unable to find ") + name + ": cannot read /proc/self/exe");
  self.resize(static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}

}  // namespace ucspi
