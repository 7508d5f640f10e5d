// The addresses the benchmarks fill their stores with: n-th of 10.0.0.0/8 onwards, one per n,
// in canonical form (what the stores hold), so any two benchmarks agree on what "entry n" is.
#pragma once

#include <string>

namespace ucspi::bench {

// 10.0.0.0 for 0, 10.0.1.0 for 256, ..., 11.0.0.0 for 2^24: distinct for n < 2^31.
inline std::string bench_ip(long n) {
  return std::to_string(10 + (n >> 24 & 127)) + "." + std::to_string(n >> 16 & 255) + "." +
         std::to_string(n >> 8 & 255) + "." + std::to_string(n & 255);
}

}  // namespace ucspi::bench
