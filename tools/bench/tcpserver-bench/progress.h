// The progress line on stderr while the harness works: how far, what runs now, the last
// figure, and a guess of the time left. Rewritten in place on a terminal, one line a run
// elsewhere (a log keeps every line).
#pragma once

#include <chrono>
#include <string>

namespace ucspi::bench {

class Progress {
 public:
  explicit Progress(unsigned total_runs);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();  // ends the line on a terminal

  void starting(const std::string& what);  // what runs now
  void finished(const std::string& result);  // one run done, with its figure
  // How far the current run is: redrawn each second on a terminal, a line every 30 s
  // elsewhere, so that a long run shows it is alive without filling a log.
  void running(const std::string& what, unsigned long done, unsigned long total);

 private:
  void show(const std::string& text);
  unsigned total_;
  unsigned done_ = 0;
  bool terminal_;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point begin_;
  std::chrono::steady_clock::time_point last_running_;
};

}  // namespace ucspi::bench
