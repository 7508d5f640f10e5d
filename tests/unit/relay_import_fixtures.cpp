#include "tests/unit/relay_import_fixtures.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "tests/unit/roaming_test_support.h"

namespace ucspi::test {

std::string relay_import_fixture(const std::string& name) {
  return std::string(RELAY_IMPORT_FIXTURES) + '/' + name;
}

void copy_relay_ctrl_fixture(const std::string& dir) {
  std::filesystem::copy(relay_import_fixture("relay-ctrl"), dir);
  std::istringstream mtimes(read_file(relay_import_fixture("relay-ctrl.mtimes")));
  std::string name;
  time_t mtime = 0;
  while (mtimes >> name >> mtime) {
    const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (dir + '/' + name).c_str(), times, 0) == 0);
  }
}

}  // namespace ucspi::test
