// relay-list [ -s store ] [ -w seconds ]
// One line per roaming entry, sorted by address: "IP AGE STATE", AGE = seconds since the last
// login (or "permanent"), STATE = "relay" or "expired" against the window (default 1800 s, or
// a MySQL config's `time`), e.g.
//   10.1.2.3 42 relay
//   2001:db8::1 4000 expired
// Exit 100 usage (a bad option value included) or bad $RELAY_STORE, 111 store or output failure.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "rules/base/messages.h"
#include "rules/roaming/roaming_time.h"
#include "tools/tool_args.h"
#include "tools/tool_stores.h"
#include "rules/base/write_all.h"

using namespace ucspi;

namespace {

std::string entry_line(const RoamingEntry& entry, std::int64_t now, std::int64_t window) {
  std::string line = entry.ip + ' ';
  bool relay = true;
  if (entry.last_login) {
    line += std::to_string(now - *entry.last_login);
    relay = within_window(*entry.last_login, now, window);
  } else {
    line += "permanent";
  }
  line += relay ? " relay\n" : " expired\n";
  return line;
}

void print(std::string_view text) {
  if (int err = write_all(1, text); err != 0)
    die_sys(err, {"relay-list: fatal: unable to write output"});
}

}  // namespace

int ucspi::relay_list_main(int argc, char** argv, ToolStores& stores) {
  const Usage usage{"relay-list", "relay-list [ -s store ] [ -w seconds ]"};
  AdminArgs args = parse_admin_args(argc, argv, usage);
  std::vector<RoamingEntry> entries;
  try {
    entries = stores.open_admin(args.spec)->list();
  } catch (const StoreError& e) {
    die(111, {"relay-list: fatal: ", e.what()});
  }
  std::sort(entries.begin(), entries.end(),
            [](const RoamingEntry& a, const RoamingEntry& b) { return a.ip < b.ip; });
  const std::int64_t now = unix_now();
  std::string out;
  for (const RoamingEntry& entry : entries) out += entry_line(entry, now, args.window);
  print(out);
  return 0;
}
