// The softlimit scenario: the lowest `softlimit -m` under which tcpserver serves, ours with
// each roaming store and djb's with rules only, and each parent's VmSize and VmRSS with no
// limit, at start and with its connections open (BENCHMARKS.md, "tcpserver's footprint under
// softlimit").
//
// "Serves" means: started as a run file starts it (`softlimit -m N tcpserver -1 -R -H -l bench
// -c 210 -b 256 -x rules.cdb [-s STORE] 127.0.0.1 0 CHILD`, the limit set by the harness
// itself between fork and exec), it takes 200 connections at once, every one of them gets its
// child's answer (with RELAYCLIENT from the store where there is one: 127.0.0.1 is recorded
// in it first, so every connection asks the store), and it is still running. The child is a
// tiny static program compiled at run time, since children inherit the limit: the floor is
// then tcpserver's own (with a mysql: store, its helper's). Found by bisection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/progress.h"
#include "tools/bench/tcpserver-bench/server_process.h"

namespace ucspi::bench {

// The bisection's bounds, in bytes: surely too little, and where "no floor" begins.
constexpr unsigned long softlimit_low = 500'000;
constexpr unsigned long softlimit_high = 64'000'000;
constexpr unsigned softlimit_connections = 200;

struct SoftlimitPlan {
  std::string ours;         // tcpserver
  std::string reference;    // djb's: the `none` row only, having no store
  std::string relay_allow;  // records 127.0.0.1 in each store
  std::string rules_cdb;    // 127.0.0.1 allowed, no RELAYCLIENT from a rule
  std::vector<std::string> stores;  // none, cdb, relay-ctrl, mysql, in the order to measure
  std::string mysql_spec;   // mysql:CONF, when stores has mysql
  unsigned long step = 10'000;  // the bisection's resolution, bytes
};

struct SoftlimitRow {
  std::string store;   // as in SoftlimitPlan::stores
  std::string server;  // "ours" or "djb"
  std::optional<unsigned long> floor;  // bytes; nothing when it does not serve under the highest
  Memory start;        // no limit, after it printed its port
  Memory loaded;       // the same, with its connections open
};

struct SoftlimitResult {
  std::vector<SoftlimitRow> rows;
  unsigned long step = 0;
};

// The runs measure_softlimit makes at most: for the progress line's count.
unsigned softlimit_runs_planned(const SoftlimitPlan& plan);

// Throws std::runtime_error when the child cannot be compiled (cc -static: gcc and libc6-dev),
// a store cannot be made, or a server does not serve even with no limit.
SoftlimitResult measure_softlimit(const SoftlimitPlan& plan, const std::string& workdir,
                                  Progress& progress);

}  // namespace ucspi::bench
