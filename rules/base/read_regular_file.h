// Reads a whole regular file: a config file, a store to import. A FIFO or device at the path
// is refused, never waited on (it is opened O_NONBLOCK and checked before any read).
#pragma once

#include <string>

namespace ucspi {

// Fills text with the file's content and returns "", or returns the problem for a message
// "unable to read PATH: PROBLEM": error_str() of the failure, or "not a regular file".
std::string read_regular_file(const std::string& path, std::string& text);

}  // namespace ucspi
