// Reads a whole regular file: a config file, a store to import. A FIFO or device at the path
// is refused, never waited on (it is opened O_NONBLOCK and checked before any read).
#pragma once

#include <sys/stat.h>

#include <string>

#include "rules/base/unique_fd.h"

namespace ucspi {

// Opens path for reading (O_NONBLOCK, close-on-exec) and fills st, if it is a regular file.
// 0, or errno: EISDIR for a directory, EPROTO for anything else that is not a regular file
// (a FIFO, a device), the open's or fstat's errno otherwise (ENOENT: no such file).
int open_regular(const char* path, UniqueFd& fd, struct stat& st);

// Opens path for reading (O_NONBLOCK, close-on-exec) if it is a regular file; otherwise returns
// no fd and sets problem as read_regular_file describes it.
UniqueFd open_regular_file(const std::string& path, std::string& problem);

// Fills text with the file's content and returns "", or returns the problem for a message
// "unable to read PATH: PROBLEM": error_str() of the failure ("is a directory" for one), or
// "not a regular file".
std::string read_regular_file(const std::string& path, std::string& text);

}  // namespace ucspi
