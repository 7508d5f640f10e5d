// The store curve: relay-allow, relay-clear and tcpserver's lookup against the cdb roaming
// store at growing sizes (10 to 10^6 entries by default), then many relay-allow writers at
// once at the largest size, counting the logins lost. No server involved: the figures are
// per process (relay-allow) and per lookup (tcpserver's parent), as issue 11 set its goals.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/relay_allow_timing.h"
#include "tools/bench/tcpserver-bench/store_lookup_timing.h"

namespace ucspi::bench {

struct StoreCurvePlan {
  std::string relay_allow;
  std::string relay_clear;
  std::string noop;  // tcpserver-bench-noop
  std::vector<unsigned long> sizes;  // ascending
  long rounds = 1000;                // relay-allow rounds a size, and for the writers
  int writers = 16;
  long lookups = 200'000;            // a size
  std::chrono::seconds cap{120};     // a size's rounds, and the writers'
};

struct StoreCurveLevel {
  long entries = 0;
  RelayAllowSamples relay_allow;  // one writer
  std::vector<double> relay_clear;  // ms; empty in a store too small for its old entries
  StoreLookupFigures lookup;
};

struct StoreCurveResult {
  std::vector<StoreCurveLevel> levels;
  long writers_entries = 0;
  int writers = 0;
  RelayAllowSamples concurrent;  // the writers at the largest size
};

// report(line) is told what is measured now. Throws std::runtime_error.
StoreCurveResult measure_store_curve(const StoreCurvePlan& plan, const std::string& workdir,
                                     void (*report)(const std::string&));

}  // namespace ucspi::bench
