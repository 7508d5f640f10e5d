#include "tcpserver/child_env.h"

#include <cstring>

namespace ucspi {

void EnvEdits::set(std::string_view name, std::string_view value) {
  std::string edit(name);
  edit += '=';
  edit += value;
  edits_.push_back(std::move(edit));
}

void EnvEdits::unset(std::string_view name) { edits_.emplace_back(name); }

void EnvEdits::set_or_unset(std::string_view name, const std::string* value) {
  if (value)
    set(name, *value);
  else
    unset(name);
}

std::vector<char*> EnvEdits::apply(char* const* base) const {
  std::vector<char*> env;
  for (char* const* p = base; p && *p; ++p) env.push_back(*p);
  for (const std::string& edit : edits_) {
    std::size_t name_len = std::min(edit.find('='), edit.size());
    for (std::size_t i = 0; i < env.size(); ++i) {
      if (std::strncmp(env[i], edit.data(), name_len) == 0 && env[i][name_len] == '=') {
        env[i] = env.back();
        env.pop_back();
        break;
      }
    }
    if (name_len < edit.size()) env.push_back(const_cast<char*>(edit.c_str()));
  }
  env.push_back(nullptr);
  return env;
}

bool EnvEdits::sets(std::string_view name) const {
  for (auto it = edits_.rbegin(); it != edits_.rend(); ++it) {
    std::string_view edit = *it;
    if (edit.starts_with(name) && (edit.size() == name.size() || edit[name.size()] == '='))
      return edit.size() > name.size();
  }
  return false;
}

}  // namespace ucspi
