#include "tools/bench/tcpserver-bench/progress.h"

#include <unistd.h>

#include <cstdio>

#include "rules/base/write_all.h"

namespace ucspi::bench {

Progress::Progress(unsigned total_runs)
    : total_(total_runs), terminal_(isatty(2) == 1), begin_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (line_open_) write_all(2, "\n");
}

void Progress::starting(const std::string& what) {
  if (terminal_) show(what + " ...");
}

void Progress::finished(const std::string& result) {
  ++done_;
  show(result);
}

void Progress::show(const std::string& text) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  char head[96];
  if (done_ > 0 && done_ < total_) {
    const double left = elapsed / done_ * (total_ - done_);
    std::snprintf(head, sizeof head, "[%u/%u, %.0f s, about %.0f s left] ", done_, total_, elapsed, left);
  } else {
    std::snprintf(head, sizeof head, "[%u/%u, %.0f s] ", done_, total_, elapsed);
  }
  // A terminal keeps one line, redrawn; a file or pipe gets a line per finished run only.
  if (terminal_) {
    write_all(2, "\r\033[K" + std::string(head) + text);
    line_open_ = true;
  } else {
    write_all(2, std::string(head) + text + "\n");
  }
}

}  // namespace ucspi::bench
