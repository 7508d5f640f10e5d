#include "tools/watch_regex.h"

#include <stdexcept>

namespace ucspi {

LoginRegex::LoginRegex(const std::string& expression) {
  if (const int err = ::regcomp(&compiled_, expression.c_str(), REG_EXTENDED); err != 0) {
    char text[256];
    ::regerror(err, &compiled_, text, sizeof text);
    throw std::invalid_argument("bad regular expression: " + expression + ": " + text);
  }
  if (compiled_.re_nsub < 1) {
    ::regfree(&compiled_);
    throw std::invalid_argument("regular expression without a group for the address: " + expression);
  }
}

LoginRegex::~LoginRegex() { ::regfree(&compiled_); }

std::optional<std::string> LoginRegex::address(std::string_view line) const {
  const std::string text(line);  // regexec wants a C string
  regmatch_t groups[2];
  if (::regexec(&compiled_, text.c_str(), 2, groups, 0) != 0) return std::nullopt;
  if (groups[1].rm_so < 0) return std::nullopt;
  return text.substr(static_cast<std::size_t>(groups[1].rm_so),
                     static_cast<std::size_t>(groups[1].rm_eo - groups[1].rm_so));
}

}  // namespace ucspi
