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
  last_running_ = {};
  if (terminal_) show(what + " ...");
}

void Progress::finished(const std::string& result) {
  ++done_;
  show(result);
}

void Progress::running(const std::string& what, unsigned long done, unsigned long total) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_running_ < (terminal_ ? std::chrono::seconds(1) : std::chrono::seconds(30))) return;
  if (last_running_.time_since_epoch().count() == 0) {  // not at the run's very start
    last_running_ = now;
    return;
  }
  last_running_ = now;
  show(what + ": " + std::to_string(done) + " of " + std::to_string(total) + " connections");
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
