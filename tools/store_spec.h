// Names a roaming store on a command line or in $RELAY_STORE, and opens it:
//   cdb:PATH            the embedded cdb store (rules/roaming_cdb_store.h)
//   mysql:CONFIGFILE    MySQL/MariaDB, configured like the -S patch (mysql/mysql_store.h)
//   relay-ctrl:DIR      a relay-ctrl directory (rules/relay_ctrl_store.h)
// so tcpserver and the relay tools never know which store they hold.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "atomic_file.h"
#include "roaming_store.h"

struct event_base;

namespace ucspi {

enum class StoreKind { cdb, mysql, relay_ctrl };

struct StoreSpec {
  StoreKind kind;
  std::string path;
  // For a file the tools create (relay-allow -m): cdb: and relay-ctrl: only.
  mode_t new_file_mode = default_store_file_mode;
};

// The relay window when neither the command line nor the store's config names one.
inline constexpr std::int64_t default_relay_window = 1800;

// Throws StoreError for an unknown prefix or an empty path.
StoreSpec parse_store_spec(std::string_view text);

// The admin of a cdb: or relay-ctrl: store; StoreError for mysql: (see open_admin). For
// relay-ctrl, the recorded files carry USER/DOMAIN from this process's environment, as
// relay-ctrl-allow's do. Files it creates get spec.new_file_mode. Needs no MySQL or libevent
// (library ucspi_store_names).
std::unique_ptr<RoamingAdmin> open_local_admin(const StoreSpec& spec);

// The full factory (library ucspi_stores: links MySQL and libevent).

// requested if given, else the MySQL config's `time`, else default_relay_window.
// Throws StoreError when the MySQL config cannot be read.
std::int64_t store_window(const StoreSpec& spec, std::optional<std::int64_t> requested);

// base is used by the MySQL store only (it may be null for the others). Throws StoreError.
std::unique_ptr<RoamingLookup> open_lookup(const StoreSpec& spec, struct event_base* base,
                                           std::optional<std::int64_t> window);
// Any store's admin: open_local_admin, or MySQL's. Throws StoreError.
std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec);

}  // namespace ucspi
