// What one load run amounts to: the rate and the latency percentiles, as tcpbench prints them
// and tcpserver-bench tabulates them.
#pragma once

#include <vector>

#include "tools/bench/tcpserver-bench/load_generator.h"

namespace ucspi::bench {

struct LoadSummary {
  unsigned long conns = 0;   // finished with EOF
  unsigned long errors = 0;
  unsigned long empty = 0;
  double elapsed_s = 0;
  double conn_per_s = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

LoadSummary summarize(const LoadResults& results);

// The value at percentile p (0..100) of sorted values, nearest rank below; 0 for none.
double percentile(const std::vector<double>& sorted, double p);

// The median of values (the mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

}  // namespace ucspi::bench
