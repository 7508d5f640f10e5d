#include "rules/base/messages.h"

#include <unistd.h>

#include <string>

#include "rules/base/error_str.h"
#include "rules/base/write_all.h"

namespace ucspi {

void print_line(std::initializer_list<std::string_view> parts) {
  std::string line;
  for (std::string_view part : parts) line += part;
  line += '\n';
  write_all(2, line);  // a broken stderr must not stop the program
}

void die(int exit_code, std::initializer_list<std::string_view> parts) {
  print_line(parts);
  _exit(exit_code);
}

void die_sys(int err, std::initializer_list<std::string_view> parts) {
  std::string line;
  for (std::string_view part : parts) line += part;
  die(111, {line, ": ", error_str(err)});
}

}  // namespace ucspi
