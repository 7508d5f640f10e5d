// argv and envp for execve and posix_spawn from strings.
#pragma once

#include <string>
#include <vector>

namespace ucspi {

// Pointers into strings (which must outlive them and stay unchanged), then a null.
inline std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace ucspi
