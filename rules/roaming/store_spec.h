// Names a roaming store on a command line or in $RELAY_STORE:
//   cdb:PATH            the embedded cdb store (roaming_cdb_store.h)
//   mysql:CONFIGFILE    MySQL/MariaDB, configured like the -S patch (doc/mysql-store.md)
//   relay-ctrl:DIR      a relay-ctrl directory (relay_ctrl_store.h)
// Opening one is the store factory's job (store_factory.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {

enum class StoreKind { cdb, mysql, relay_ctrl };

struct StoreSpec {
  StoreKind kind;
  std::string path;
  // For a file the tools create (relay-allow -m): cdb: and relay-ctrl: only.
  mode_t new_file_mode = default_store_file_mode;
  // A record younger than this is not rewritten (roaming_time.h): cdb: and relay-ctrl: only.
  // relay-import sets 0, so that a login a few seconds newer than the stored one is written.
  std::int64_t refresh_interval = default_refresh_interval;
};

// Throws StoreError for an unknown prefix or an empty path.
StoreSpec parse_store_spec(std::string_view text);

// "cdb", "mysql" or "relay-ctrl": the store's prefix without its colon (tcpserver's
// "relay PID IP by KIND" line).
std::string_view store_kind_name(StoreKind kind);

}  // namespace ucspi
