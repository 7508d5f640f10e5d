// The stores a relay tool is built with, and the tools' entry points.
//
// relay-allow, relay-clear, relay-list and relay-import are linked without MySQL
// (local_tool_stores.h): relay-allow runs once per POP/IMAP login, and loading libmariadb,
// libssl/libcrypto and libevent cost 1 to 2 ms of its start-up for cdb: and relay-ctrl: stores
// that never use them. For a store the factory says another program writes or reads (mysql:),
// they exec that program (relay-mysql), the same tool code linked with every store.
#pragma once

#include <memory>

#include "rules/roaming/roaming_store.h"
#include "rules/roaming/store_spec.h"

namespace ucspi {

class ToolStores {
 public:
  virtual ~ToolStores() = default;
  // Throws StoreError.
  virtual std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) = 0;
};

// The tools' mains (relay-allow.cpp, relay-clear.cpp, relay-list.cpp, relay-import.cpp).
// argv[0] is not used.
int relay_allow_main(int argc, char** argv, ToolStores& stores);
int relay_clear_main(int argc, char** argv, ToolStores& stores);
int relay_list_main(int argc, char** argv, ToolStores& stores);
int relay_import_main(int argc, char** argv, ToolStores& stores);

}  // namespace ucspi
