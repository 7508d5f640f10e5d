// The child's environment: tcpserver's own environment plus an ordered list of edits, applied
// exactly as djb's pathexec applies them (each edit removes the first variable of that name,
// moving the last entry into its slot, then appends NAME=VALUE unless it is an unset).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

class EnvEdits {
 public:
  void set(std::string_view name, std::string_view value);
  void unset(std::string_view name);
  // set() when value is non-null, else unset(): djb's env(name, value-or-0).
  void set_or_unset(std::string_view name, const std::string* value);

  // The final environment over base (a NULL-terminated array such as environ). The returned
  // pointers stay valid while this object and base live.
  std::vector<char*> apply(char* const* base) const;

  // Whether an edit sets name (the last edit of that name wins).
  bool sets(std::string_view name) const;

  // name's value in the environment apply(base) makes: the last edit of that name, else
  // base's; nothing when it is unset. The view lives as long as this object and base.
  std::optional<std::string_view> value(std::string_view name, char* const* base) const;

 private:
  std::vector<std::string> edits_;  // "NAME=VALUE" or "NAME" for unset
};

}  // namespace ucspi
