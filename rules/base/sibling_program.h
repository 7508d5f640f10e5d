// Where a program of ours installed next to the running one lives: tcpserver starts its store
// helper, and the relay tools hand a mysql: store over, from their own directory, whatever
// $PATH or symlink started them (/proc/self/exe names the running binary).
#pragma once

#include <optional>
#include <string>

namespace ucspi {

// The path of `name` in the running program's directory; nothing when /proc/self/exe
// cannot be read.
std::optional<std::string> sibling_program(const std::string& name);

}  // namespace ucspi
