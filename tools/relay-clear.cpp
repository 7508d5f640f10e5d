// relay-clear [ -s store ] [ -w seconds ]
// Removes roaming entries whose last login is at least the window old (default 1800 s, or a
// MySQL config's `time`); permanent entries stay. vpopmail's clearopensmtp for our stores;
// run it from cron. A cdb store gets one expire line in its journal, or, from a user that may
// not write the journal, is rewritten keeping its mode and owner (doc/permissions.md). Quiet
// on success; 100 usage (a bad option value included) or bad $RELAY_STORE, 111 store failure.
#include "rules/base/messages.h"
#include "tools/tool_args.h"
#include "tools/tool_stores.h"

using namespace ucspi;

int ucspi::relay_clear_main(int argc, char** argv, ToolStores& stores) {
  const Usage usage{"relay-clear", "relay-clear [ -s store ] [ -w seconds ]"};
  AdminArgs args = parse_admin_args(argc, argv, usage);
  try {
    stores.open_admin(args.spec)->expire(unix_now() - args.window);
  } catch (const StoreError& e) {
    die(111, {"relay-clear: fatal: ", e.what()});
  }
  return 0;
}
