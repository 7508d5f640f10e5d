// The tcprules curve: ours against djb's compiling generated rules files of growing size, wall
// time and peak memory, A and B alternating (the order flipped each round), medians over the
// rounds and ratios pair by pair, as the servers' scenarios measure. Every round also checks
// that the two cdbs are byte-identical: a difference is an error, not a figure.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ucspi::bench {

struct TcprulesSide {
  double wall_ms = 0;  // medians over rounds
  long rss_kib = 0;    // ru_maxrss
};

struct TcprulesLevel {
  unsigned long lines = 0;
  TcprulesSide a;
  TcprulesSide b;
  double time_ratio = 0;  // medians over rounds of A / B in the same round
  double rss_ratio = 0;
  unsigned long errors = 0;  // runs that failed or wrote to stderr, rounds whose cdbs differ
};

struct TcprulesResult {
  std::string a_label = "ours";
  std::string b_label = "djb";
  std::vector<TcprulesLevel> levels;
  std::vector<std::string> problems;  // what each error was, for the report
};

struct TcprulesPlan {
  std::string ours;  // tcprules paths
  std::string djb;
  std::vector<unsigned long> sizes;  // lines
  unsigned rounds = 3;
  std::chrono::milliseconds cap{60000};  // per run
};

// Throws std::runtime_error when a tcprules cannot be run at all.
TcprulesResult measure_tcprules(const TcprulesPlan& plan, const std::string& workdir);

}  // namespace ucspi::bench
