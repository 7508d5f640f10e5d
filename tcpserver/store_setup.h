// Opens the roaming store named by -s/-S for tcpserver, through the store factory: a lookup
// in process, or a helper program started and supervised here (helper_lookup.h). tcpserver
// knows no store kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rules/event/event_handles.h"
#include "tcpserver/child_registry.h"
#include "tcpserver/logger.h"
#include "tcpserver/server.h"

namespace ucspi {

// window: -w, else the store's default. Throws StoreError (a config file that cannot be read
// or is wrong: fatal at startup, as the classic -S patch's silent open relay must never be).
RoamingSetup open_roaming_store(const std::string& spec, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                ChildRegistry& children);

}  // namespace ucspi
