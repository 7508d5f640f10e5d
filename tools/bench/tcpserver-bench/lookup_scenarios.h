// The dns+ident scenarios' run: in the private network namespace (netns.h), with the scripted
// DNS server and identd up for all of them, each scenario's result holding what those were
// asked during it.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/measure.h"

namespace ucspi::bench {

// Measures those of scenarios that want the private network, in their order. Throws
// std::runtime_error as measure_scenario does, or when the namespace cannot be made.
std::vector<ScenarioResult> measure_lookup_scenarios(const std::vector<const Scenario*>& scenarios,
                                                     const Options& options,
                                                     const std::string& workdir, Progress& progress);

}  // namespace ucspi::bench
