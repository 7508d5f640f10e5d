// The stores a relay tool is built with, and the tools' entry points.
//
// relay-allow, relay-clear and relay-list are linked without MySQL (local_tool_stores.h):
// relay-allow runs once per POP/IMAP login, and loading libmariadb, libssl/libcrypto and
// libevent cost 1 to 2 ms of its start-up for cdb: and relay-ctrl: stores that never use
// them. For a mysql: store they exec relay-mysql, the same tool code linked with every store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "store_spec.h"

namespace ucspi {

class ToolStores {
 public:
  virtual ~ToolStores() = default;
  // requested, else the store's default (a MySQL config's `time`). Throws StoreError.
  virtual std::int64_t window(const StoreSpec& spec, std::optional<std::int64_t> requested) = 0;
  // Throws StoreError.
  virtual std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) = 0;
};

// The tools' mains (relay-allow.cpp, relay-clear.cpp, relay-list.cpp). argv[0] is not used.
int relay_allow_main(int argc, char** argv, ToolStores& stores);
int relay_clear_main(int argc, char** argv, ToolStores& stores);
int relay_list_main(int argc, char** argv, ToolStores& stores);

}  // namespace ucspi
