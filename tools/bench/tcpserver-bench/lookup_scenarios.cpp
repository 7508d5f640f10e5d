#include "tools/bench/tcpserver-bench/lookup_scenarios.h"

#include <chrono>

#include "tools/bench/tcpserver-bench/lookup_counters.h"
#include "tools/bench/tcpserver-bench/netns.h"
#include "tools/bench/tcpserver-bench/scripted_peers.h"

namespace ucspi::bench {

std::vector<ScenarioResult> measure_lookup_scenarios(const std::vector<const Scenario*>& scenarios,
                                                     const Options& options,
                                                     const std::string& workdir, Progress& progress) {
  std::vector<ScenarioResult> results;
  if (scenarios.empty()) return results;
  // Every run and warm-up at its cap, and a minute: the scripted servers outlive the
  // scenarios, and end by themselves should their owner never stop them.
  unsigned runs = 0;
  for (const Scenario* s : scenarios)
    runs += static_cast<unsigned>(s->levels.size()) * options.rounds * 2 + 2;
  const auto lifetime = std::chrono::seconds(static_cast<long>(runs * options.seconds) + 60);
  run_in_private_network([&] {
    LookupCounters counts;
    const ChildProcess dns =
        start_scripted_dns(std::chrono::milliseconds(options.dns_latency_ms), counts, lifetime);
    const ChildProcess identd = start_scripted_identd(
        std::chrono::milliseconds(options.ident_latency_ms), counts, lifetime);
    for (const Scenario* s : scenarios) {
      const LookupTally before = counts.read();
      ScenarioResult r = measure_scenario(*s, options, workdir, progress);
      r.lookups = counts.read() - before;
      results.push_back(std::move(r));
    }
  });
  return results;
}

}  // namespace ucspi::bench
