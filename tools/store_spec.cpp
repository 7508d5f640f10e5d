// Store names, and the stores that need no server (cdb:, relay-ctrl:): the part of the factory
// the relay tools are linked with, so a login does not load libmariadb, its TLS libraries and
// libevent (1 to 2 ms of relay-allow's start-up).
#include "store_spec.h"

#include <cstdlib>
#include <utility>

#include "relay_ctrl_store.h"
#include "roaming_cdb_store.h"

namespace ucspi {
namespace {

struct Prefix {
  std::string_view text;
  StoreKind kind;
};

constexpr Prefix prefixes[] = {
    {"cdb:", StoreKind::cdb},
    {"mysql:", StoreKind::mysql},
    {"relay-ctrl:", StoreKind::relay_ctrl},
};

}  // namespace

StoreSpec parse_store_spec(std::string_view text) {
  for (const Prefix& prefix : prefixes) {
    if (!text.starts_with(prefix.text)) continue;
    std::string_view path = text.substr(prefix.text.size());
    if (path.empty()) throw StoreError("store " + std::string(text) + " names no file");
    return StoreSpec{prefix.kind, std::string(path)};
  }
  throw StoreError("unknown store " + std::string(text) +
                   " (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)");
}

std::unique_ptr<RoamingAdmin> open_local_admin(const StoreSpec& spec) {
  switch (spec.kind) {
    case StoreKind::cdb: return make_cdb_admin(spec.path, {.new_file_mode = spec.new_file_mode});
    case StoreKind::relay_ctrl: {
      RelayCtrlOptions options;
      options.new_file_mode = spec.new_file_mode;
      options.payload = relay_ctrl_payload(std::getenv("USER"), std::getenv("DOMAIN"));
      return make_relay_ctrl_admin(spec.path, std::move(options));
    }
    case StoreKind::mysql: break;
  }
  throw StoreError("a mysql: store needs the full factory (open_admin)");
}

}  // namespace ucspi
