// Walks a rules value the way djb's rules.c callbacks do: NUL-terminated entries, 'D' = deny,
// '+NAME=VALUE' = set a variable, any other entry (and bytes after the last NUL) ignored.
#pragma once

#include <string_view>

namespace ucspi {

// Calls on_entry(entry) for each complete NUL-terminated entry (without the NUL).
template <typename OnEntry>
void for_each_rule_entry(std::string_view data, OnEntry&& on_entry) {
  for (std::size_t nul; (nul = data.find('\0')) != std::string_view::npos;) {
    if (!on_entry(data.substr(0, nul))) return;
    data.remove_prefix(nul + 1);
  }
}

struct RuleEnv {
  std::string_view name;
  std::string_view value;
};

// A '+NAME=VALUE' entry as tcpserver applies it; an entry without '=' sets nothing.
inline bool split_env_entry(std::string_view entry, RuleEnv& out) {
  if (entry.empty() || entry.front() != '+') return false;
  entry.remove_prefix(1);
  std::size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return false;
  out = {entry.substr(0, eq), entry.substr(eq + 1)};
  return true;
}

}  // namespace ucspi
