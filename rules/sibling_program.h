// Where a program of ours installed next to the running one lives: tcpserver starts its store
// helper relay-mysql, and the relay tools hand a mysql: store to it, from their own directory,
// whatever $PATH or symlink started them (/proc/self/exe names the running binary).
#pragma once

#include <string>

namespace ucspi {

// The path of `name` in the running program's directory. Throws StoreError when
// /proc/self/exe cannot be read.
std::string sibling_program(const char* name);

}  // namespace ucspi
