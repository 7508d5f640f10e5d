#include "outage_log.h"

#include <unistd.h>

namespace ucspi {

namespace {

void write_stderr(std::string_view line) {
  std::string out(line);
  out += '\n';
  // One write per line so concurrent writers (children share fd 2) never interleave a line.
  [[maybe_unused]] ssize_t n = ::write(2, out.data(), out.size());
}

}  // namespace

OutageLog::OutageLog(MysqlLogSink sink) : sink_(sink ? std::move(sink) : write_stderr) {}

void OutageLog::down(std::string_view error) {
  if (down_) return;
  down_ = true;
  sink_("tcpserver: warning: roaming store mysql unavailable: " + std::string(error));
}

void OutageLog::up() {
  if (!down_) return;
  down_ = false;
  sink_("tcpserver: info: roaming store mysql back");
}

void OutageLog::queue_full(std::size_t limit) {
  if (full_) return;
  full_ = true;
  sink_("tcpserver: warning: roaming store mysql overloaded: " + std::to_string(limit) +
        " lookups already waiting");
}

void OutageLog::drained() { full_ = false; }

}  // namespace ucspi
