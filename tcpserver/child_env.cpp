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

namespace {

// The value of "NAME=VALUE" or "NAME" (an unset) if the entry is name's.
std::optional<std::optional<std::string_view>> entry_of(std::string_view entry, std::string_view name) {
  if (!entry.starts_with(name)) return std::nullopt;
  if (entry.size() == name.size()) return std::optional<std::string_view>{};
  if (entry[name.size()] != '=') return std::nullopt;
  return std::optional<std::string_view>{entry.substr(name.size() + 1)};
}

}  // namespace

std::optional<std::string_view> EnvEdits::value(std::string_view name, char* const* base) const {
  for (auto it = edits_.rbegin(); it != edits_.rend(); ++it)
    if (auto found = entry_of(*it, name)) return *found;
  for (char* const* p = base; p && *p; ++p)
    if (auto found = entry_of(*p, name); found && *found) return *found;
  return std::nullopt;
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
