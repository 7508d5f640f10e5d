// Writes tcpserver's diagnostics to fd 2, one write(2) per line, honouring -q/-Q/-v.
#pragma once

#include <initializer_list>
#include <string_view>

#include "tcpserver/log_lines.h"

namespace ucspi {

class Logger {
 public:
  explicit Logger(int verbosity) : verbosity_(verbosity) {}
  int verbosity() const { return verbosity_; }
  // Warnings and fatal messages: printed unless -q.
  void warn(std::string_view line) const;
  // status/pid/ok/deny/end lines: printed only under -v.
  void verbose(std::string_view line) const;
  // What an event callback that threw says ("tcpserver: warning: out of memory"), for
  // guard_callback (rules/event/callback_guard.h); it allocates nothing.
  auto failed_callback() const {
    return [this](const char* why) { warn_parts({warning_head, why, "\n"}); };
  }

 private:
  void warn_parts(std::initializer_list<std::string_view> parts) const;
  int verbosity_;
};

}  // namespace ucspi
