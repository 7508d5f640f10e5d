// The measuring loop: for each level, rounds of A then B, the order flipped each round, so
// that a machine that drifts (another program, the CPU's clock) hits both alike. Both servers
// of a scenario run for the whole scenario; their parents' memory is sampled from /proc while
// the load runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/latency_stats.h"
#include "tools/bench/tcpserver-bench/lookup_counters.h"
#include "tools/bench/tcpserver-bench/options.h"
#include "tools/bench/tcpserver-bench/progress.h"
#include "tools/bench/tcpserver-bench/scenarios.h"
#include "tools/bench/tcpserver-bench/server_process.h"

namespace ucspi::bench {

struct RunRecord {
  std::string server;
  unsigned level = 0;
  unsigned round = 0;
  LoadSummary load;
  Memory peak;  // of the parent, during this run
};

// One side at one level, over the rounds.
struct SideFigures {
  double conn_per_s = 0;  // medians over rounds
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;      // the largest of any round
  unsigned long errors = 0;  // refused, reset, timed out, or closed without a byte; all rounds
  Memory peak;
};

struct LevelFigures {
  unsigned level = 0;
  SideFigures a;
  SideFigures b;
  // Medians over rounds of A's figure / B's figure in the same round: pair by pair, so that a
  // slow moment of the machine cancels out.
  double rate_ratio = 0;
  double p50_ratio = 0;
};

// A parent's memory after warming up, and at the end of the scenario.
struct MemoryTrack {
  Memory start;
  Memory peak;
  Memory end;
};

struct ScenarioResult {
  const Scenario* scenario = nullptr;
  std::vector<LevelFigures> levels;
  std::vector<RunRecord> runs;
  MemoryTrack a_memory;
  MemoryTrack b_memory;
  std::optional<LookupTally> lookups;  // what the scripted servers answered, warm-up included
};

// Throws std::runtime_error when a server cannot be started or the load cannot run.
ScenarioResult measure_scenario(const Scenario& scenario, const Options& options,
                                const std::string& workdir, Progress& progress);

// Runs every scenario would make: for the progress line's count.
unsigned runs_planned(const std::vector<Scenario>& scenarios, const Options& options);

}  // namespace ucspi::bench
