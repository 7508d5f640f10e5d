#include "store_setup.h"

namespace ucspi {

RoamingSetup open_roaming_store(const std::string& spec, event_base*,
                                std::optional<unsigned long>, const Logger&, std::string& error) {
  error = "roaming stores are not built into this tcpserver yet: " + spec;
  return {};
}

}  // namespace ucspi
