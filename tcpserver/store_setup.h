// Opens the roaming store named by -s/-S for tcpserver: the file stores (cdb:, relay-ctrl:)
// are read in tcpserver itself; a store that needs a database client (mysql:) is read by a
// helper program (doc/store-helper-protocol.md), so tcpserver links no database client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "child_registry.h"
#include "event_handles.h"
#include "logger.h"
#include "server.h"

namespace ucspi {

// window: -w, else the store's default. Throws StoreError (a config file that cannot be read
// or is wrong: fatal at startup, as the classic -S patch's silent open relay must never be).
RoamingSetup open_roaming_store(const std::string& spec, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                ChildRegistry& children);

}  // namespace ucspi
