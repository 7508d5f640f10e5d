// Where a program name leads, found before the exec: tcpserver's vfork child and relay-allow's
// SIGBUS handler may call nothing but execve, so the search of $PATH is done beforehand.
#pragma once

#include <string>
#include <vector>

namespace ucspi {

// The paths execve tries for a program, as djb's pathexec_run: the name itself when it holds
// a '/', else each $PATH entry (an empty one meaning ".") followed by "/name"; without $PATH,
// /bin and /usr/bin.
std::vector<std::string> exec_candidates(const std::string& program, const char* path_env);

}  // namespace ucspi
