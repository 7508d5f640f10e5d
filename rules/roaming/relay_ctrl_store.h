// relay-ctrl 3.x's directory ($RELAY_CTRL_DIR) as a roaming store, so a site can move between
// relay-ctrl-allow/-check/-age and our tools in either direction:
//
//   DIR/<IP>   one regular file per client, named by its canonical IP text (dotted quad, or
//              RFC 5952 IPv6 such as "2001:db8::1", which relay-ctrl itself cannot do);
//              mtime = time of the last login;
//              content "USER=<u>\0DOMAIN=<d>\0", each part only when known, as
//              relay-ctrl-allow writes it from its environment (relay-ctrl-check exports it);
//              possibly empty.
//
// Writers create ".<sec>.<usec>:<pid>", set its mtime, and rename it to <IP>, so the file
// appears complete with a fresh mtime. A file that replaces one keeps its mode and owner (see
// AtomicFile); a new one gets new_file_mode, whatever the umask. (Our lookups only stat the
// file, but relay-ctrl-check opens it as tcpserver's -u user.) Names starting with '.' (temp files) and names that are
// not canonical IP text are not entries: list skips them and expire never removes them.
// Canonical IP text has no '/' and no leading '.', so no key can name a file outside DIR.
// A missing file is a client without an entry (no_relay); a missing or unreadable DIR is
// unavailable with the reason for lookups, and an error for record, list and expire.
//
// record takes a shared flock on DIR and expire an exclusive one, so a sweep cannot unlink a
// file renamed in between its stat and its unlink (relay-ctrl-age's race). Like the cdb store,
// a login whose file is younger than refresh_interval and already has the same content writes
// nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_store.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {

struct RelayCtrlOptions {
  std::string payload;  // written into each recorded file; see relay_ctrl_payload
  std::chrono::milliseconds lock_wait{5000};
  std::int64_t refresh_interval = default_refresh_interval;
  mode_t new_file_mode = default_store_file_mode;
};

// "USER=<user>\0DOMAIN=<domain>\0", leaving out a part whose value is null.
std::string relay_ctrl_payload(const char* user, const char* domain);

std::unique_ptr<RoamingLookup> make_relay_ctrl_lookup(std::string dir, std::int64_t window);
std::unique_ptr<RoamingAdmin> make_relay_ctrl_admin(std::string dir, RelayCtrlOptions options = {});

}  // namespace ucspi
