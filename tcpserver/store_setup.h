// Opens the roaming store named by -s/-S for tcpserver, through the store factory: a lookup
// in process, or a helper program started and supervised here (helper_lookup.h). tcpserver
// knows no store kind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rules/event/event_handles.h"
#include "rules/roaming/roaming_store.h"
#include "tcpserver/child_registry.h"
#include "tcpserver/logger.h"

namespace ucspi {

struct RoamingSetup {
  std::unique_ptr<RoamingLookup> lookup;  // null: no roaming store
  std::string kind;                       // for the -v "relay" line, e.g. "cdb"
  std::string label;                      // for warnings: the store as given, "cdb:/var/relay.cdb"
};

// window: -w, else the store's default. Throws StoreError (a config file that cannot be read
// or is wrong: fatal at startup, as the classic -S patch's silent open relay must never be).
RoamingSetup open_roaming_store(const std::string& spec, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                ChildRegistry& children);

}  // namespace ucspi
