#include "tools/bench/tcpserver-bench/latency_stats.h"

#include <algorithm>

namespace ucspi::bench {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

LoadSummary summarize(const LoadResults& results) {
  std::vector<double> sorted = results.latencies_us;
  std::sort(sorted.begin(), sorted.end());
  LoadSummary s;
  s.conns = sorted.size();
  s.errors = results.errors;
  s.empty = results.empty;
  s.elapsed_s = results.elapsed_s;
  s.conn_per_s = results.elapsed_s > 0 ? static_cast<double>(sorted.size()) / results.elapsed_s : 0;
  s.p50_us = percentile(sorted, 50);
  s.p90_us = percentile(sorted, 90);
  s.p99_us = percentile(sorted, 99);
  s.max_us = sorted.empty() ? 0 : sorted.back();
  return s;
}

}  // namespace ucspi::bench
