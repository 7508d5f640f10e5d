// A roaming store read by a helper program (doc/store-helper-protocol.md): tcpserver starts
// it, writes "relay IP" requests to it over a socketpair, reads the replies in order on its
// event loop, and never waits for it longer than a deadline. A helper that exits, closes its
// end, answers garbage or stays silent past the deadline is killed and started again after a
// backoff; meanwhile every lookup answers unavailable (no relay), with the reason.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tcpserver/child_registry.h"
#include "rules/event/event_handles.h"
#include "tcpserver/logger.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {

struct HelperCommand {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string name;               // for messages, e.g. "relay-mysql"
};

struct HelperTimings {
  std::chrono::milliseconds deadline{3000};  // a reply later than this means a stuck helper
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
  std::size_t max_waiting = 1000;
};

// The helper is started once the event loop runs, so that its exit is never missed.
std::unique_ptr<RoamingLookup> make_helper_lookup(event_base* base, ChildRegistry& children,
                                                  const Logger& log, HelperCommand command,
                                                  std::int64_t window, HelperTimings timings = {});

}  // namespace ucspi
