// Opens the roaming store named by -s/-S for tcpserver.
#pragma once

#include <optional>
#include <string>

#include "event_handles.h"
#include "logger.h"
#include "server.h"

namespace ucspi {

// On failure returns a setup without lookup and sets error to the fatal message's text.
RoamingSetup open_roaming_store(const std::string& spec, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                std::string& error);

}  // namespace ucspi
