// Which lines relay-watch takes for a successful login: one built-in format (-f), all of them
// (the default: each is anchored on its own program's tag, so they cannot mistake each other's
// lines), or the admin's regular expression (-e) instead.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/watch_regex.h"

namespace ucspi {

enum class LogFormat { all, dovecot, courier, vchkpw };

// "all", "dovecot", "courier" or "vchkpw"; nothing for another word.
std::optional<LogFormat> parse_log_format(std::string_view name);

class LoginMatcher {
 public:
  explicit LoginMatcher(LogFormat format) : format_(format) {}
  explicit LoginMatcher(std::unique_ptr<LoginRegex> regex) : regex_(std::move(regex)) {}

  struct Found {
    std::optional<std::string> address;  // a successful login's client, as the line writes it
    std::string doubt;  // else, for a login line whose address cannot be trusted: why
  };
  Found match(std::string_view line) const;

  // match's address alone.
  std::optional<std::string> address(std::string_view line) const { return match(line).address; }

 private:
  LogFormat format_ = LogFormat::all;
  std::unique_ptr<LoginRegex> regex_;  // when set, the only pattern
};

}  // namespace ucspi
