// Writes tcpserver's diagnostics to fd 2, one write(2) per line, honouring -q/-Q/-v.
#pragma once

#include <string_view>

namespace ucspi {

class Logger {
 public:
  explicit Logger(int verbosity) : verbosity_(verbosity) {}
  int verbosity() const { return verbosity_; }
  // Warnings and fatal messages: printed unless -q.
  void warn(std::string_view line) const;
  // status/pid/ok/deny/end lines: printed only under -v.
  void verbose(std::string_view line) const;

 private:
  static void write_all(std::string_view line);
  int verbosity_;
};

}  // namespace ucspi
