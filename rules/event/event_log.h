// libevent's own messages (an epoll failure, evdns's complaints) are written by the library
// unprefixed to stderr, where they would read as nobody's and could even carry bytes that split
// a log line. Each program routes them through its own writer instead, as its warning:
// "PROGRAM: warning: libevent: MESSAGE", control bytes made '?', debug chatter dropped.
#pragma once

#include <event2/event.h>

#include <string>
#include <string_view>

namespace ucspi {

// The whole line for one message, or "" for one below EVENT_LOG_WARN.
inline std::string libevent_line(std::string_view program, int severity, const char* message) {
  if (severity < EVENT_LOG_WARN || message == nullptr) return {};
  std::string line(program);
  line += ": warning: libevent: ";
  for (std::string_view text(message); char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    line += byte < 32 || byte == 127 ? '?' : c;
  }
  line += '\n';
  return line;
}

}  // namespace ucspi
