// relay-watch -e: the admin's own pattern for a login line, as a POSIX extended regular
// expression (regex.h, the syntax of grep -E). Not std::regex: libstdc++ matches by recursion,
// one stack frame per character for patterns like ".*", so a long enough log line (anyone
// can make a POP client send a long user name into it) overflows the stack; glibc's regexec
// does not recurse on the input, and its syntax is the one admins already test with grep -E.
#pragma once

#include <regex.h>

#include <optional>
#include <string>
#include <string_view>

namespace ucspi {

class LoginRegex {
 public:
  // Throws std::invalid_argument saying what is wrong: regcomp's message, or that the
  // expression has no parenthesised group for the address.
  explicit LoginRegex(const std::string& expression);
  LoginRegex(const LoginRegex&) = delete;
  LoginRegex& operator=(const LoginRegex&) = delete;
  ~LoginRegex();

  // The text of the first group when line matches and the group took part; else nothing.
  // (ERE has no non-capturing group: an alternative written as a group must come after it.)
  std::optional<std::string> address(std::string_view line) const;

 private:
  regex_t compiled_{};
};

}  // namespace ucspi
