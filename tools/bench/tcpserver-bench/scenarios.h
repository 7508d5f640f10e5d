// What each scenario compares: server A against server B, with the same child program, at a
// list of concurrency levels. A is always ours; B is djb's, ours without the store, or the
// ceiling server.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/bench_files.h"
#include "tools/bench/tcpserver-bench/options.h"
#include "tools/bench/tcpserver-bench/server_process.h"

namespace ucspi::bench {

struct Scenario {
  std::string name;
  std::string description;  // one line for the report
  ServerSpec a;
  ServerSpec b;
  std::vector<unsigned> levels;     // ascending, each once
  unsigned long connections = 0;    // per run; 0: per_client times the level
  unsigned long per_client = 0;
  bool child_is_short = true;  // /bin/echo, as the ceiling's: its rate is comparable to it
  bool a_is_ours = true;       // false: A is djb's, and its memory is no goal of ours
  // Runs in the harness's private network namespace, with the scripted DNS server and identd
  // (netns.h): the lookups scenarios.
  bool private_network = false;
  unsigned sources = 0;  // client addresses (LoadSpec::sources)
  std::string latency;   // the lookups scenarios' replies, as the goal prints them
};

// The server scenarios options selects, in its order (tcprules, store-curve and softlimit,
// curves of their own, are not). Servers get -c and -b above the top level, so that a run measures the server
// and not SYN retransmits from an overflowing backlog.
std::vector<Scenario> make_scenarios(const Options& options, const BenchFiles& files);

// The connections a run of scenario makes at level.
unsigned long connections_at(const Scenario& scenario, unsigned level);

}  // namespace ucspi::bench
