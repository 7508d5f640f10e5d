// relay-import's fixtures (tests/fixtures/relay-import/README.md), for the unit tests of its
// readers and of the program.
#pragma once

#include <string>

namespace ucspi::test {

// The path of a fixture file.
std::string relay_import_fixture(const std::string& name);

// A copy of the relay-ctrl fixture directory at dir (created), each file with the mtime
// relay-ctrl.mtimes gives it: the directory as relay-ctrl-allow left it.
void copy_relay_ctrl_fixture(const std::string& dir);

}  // namespace ucspi::test
