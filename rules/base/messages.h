// djb-style diagnostics: "PROG: fatal: TEXT" on fd 2, one write(2) per line.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace ucspi {

// Concatenates parts and a newline and writes them to fd 2 in one write.
void print_line(std::initializer_list<std::string_view> parts);
[[noreturn]] void die(int exit_code, std::initializer_list<std::string_view> parts);
// djb's strerr_die*sys: the failed operation as named by parts, ": ", errno's text; exit 111.
[[noreturn]] void die_sys(int err, std::initializer_list<std::string_view> parts);

}  // namespace ucspi
