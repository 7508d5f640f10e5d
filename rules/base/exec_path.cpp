#include "rules/base/exec_path.h"

#include <string_view>

namespace ucspi {

std::vector<std::string> exec_candidates(const std::string& program, const char* path_env) {
  if (program.find('/') != std::string::npos) return {program};
  std::vector<std::string> out;
  std::string_view path = path_env ? path_env : "/bin:/usr/bin";
  for (;;) {
    std::size_t split = path.find(':');
    std::string_view dir = path.substr(0, split);
    out.push_back((dir.empty() ? std::string(".") : std::string(dir)) + "/" + program);
    if (split == std::string_view::npos) break;
    path.remove_prefix(split + 1);
  }
  return out;
}

}  // namespace ucspi
