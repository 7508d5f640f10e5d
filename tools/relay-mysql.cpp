// relay-mysql allow|clear|list|import [ arg ... ]
// relay-mysql serve CONFIGFILE
// relay-mysql check CONFIGFILE
// relay-allow, relay-clear, relay-list or relay-import linked with every store, MySQL
// included. Those tools are built without MySQL (see tool_stores.h) and exec this program,
// from their own directory, for a mysql: store; it also serves the other stores, so it can be
// run by hand.
// `serve` is the store helper tcpserver starts for a mysql: store
// (doc/store-helper-protocol.md); `check` tells whether the table's ip_addr column is wide
// enough (doc/mysql-store.md).
#include <string_view>

#include "mysql/mysql_store.h"
#include "rules/base/messages.h"
#include "rules/roaming/store_factory.h"
#include "tools/relay_mysql_modes.h"
#include "tools/tool_stores.h"

using namespace ucspi;

namespace {

// Every store: what the factory opens in process, and the stores it says we write (mysql:).
class AllToolStores final : public ToolStores {
 public:
  std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) override {
    StoreWriter writer = open_store_writer(spec);
    if (writer.admin) return std::move(writer.admin);
    return make_mysql_admin(load_mysql_config(spec.path));
  }
};

struct Tool {
  std::string_view name;
  int (*main)(int, char**, ToolStores&);
};

constexpr Tool tools[] = {
    {"allow", relay_allow_main},
    {"clear", relay_clear_main},
    {"list", relay_list_main},
    {"import", relay_import_main},
};

struct Mode {
  std::string_view name;
  int (*main)(int, char**);
};

constexpr Mode modes[] = {
    {"serve", relay_mysql_serve_main},
    {"check", relay_mysql_check_main},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    for (const Tool& tool : tools) {
      AllToolStores stores;
      if (argv[1] == tool.name) return tool.main(argc - 1, argv + 1, stores);
    }
    for (const Mode& mode : modes) {
      if (argv[1] == mode.name) return mode.main(argc - 1, argv + 1);
    }
  }
  die(100,
      {"relay-mysql: usage: relay-mysql allow|clear|list|import [ arg ... ] | serve|check "
       "CONFIGFILE"});
}
