// The roaming table kept in MySQL/MariaDB, compatible with vpopmail's `relay` table
// (ip_addr primary key, timestamp as Unix seconds in INT or the classic CHAR(12); NULL = a
// permanent netblock that always relays). Configured by the classic -S patch's file format.
//
// Unlike the classic patch, every failure is "unavailable" (never relay): a missing or bad
// config file is a StoreError at startup, and a dead server answers unavailable within the
// query timeout instead of blocking tcpserver or relaying for everyone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "rules/roaming_store.h"

struct event_base;

namespace ucspi {

struct MysqlConfig {
  std::string server = "localhost";
  unsigned port = 3306;
  std::string socket;  // unix socket path; when set it wins over server/port
  std::string database = "vpopmail";
  std::string table = "relay";  // identifier characters only: it cannot be a bind parameter
  std::string user;
  std::string pass;
  std::int64_t time = 1800;  // the relay window in seconds, from the file's `time` tag
  unsigned connect_timeout_ms = 1000;
  unsigned query_timeout_ms = 1000;
};

// Reads the classic format: one `tag value` per line, whitespace-separated, tags
// case-insensitive, `#` comments; tags server port database table user pass time socket.
// Throws StoreError ("PATH: line N: ...") for an unreadable file, an unknown tag, a bad
// number, an invalid table name, or a missing user/pass.
MysqlConfig load_mysql_config(const std::string& path);

// One line of diagnostics, without the trailing newline, e.g.
// "tcpserver: warning: roaming store mysql unavailable: <error>". Default: stderr.
using MysqlLogSink = std::function<void(std::string_view line)>;

// tcpserver's side: one persistent nonblocking connection driven by `base`; lookups are
// queued FIFO (identical IPs coalesced, up to 100 distinct IPs asked per query, at most 1000
// waiting) and each answers within query_timeout_ms. `done` is always called later from the
// event loop, never from inside lookup(). Any failure answers `unavailable` (never relay),
// drops the connection and reconnects after a backoff (250 ms doubling to 4 s) during which
// lookups answer `unavailable` at once. `window` is the relay window in seconds.
// Connects on the first lookup. A `server` host name is resolved once, here (a name that does
// not resolve is a StoreError), because Connector/C would resolve it with a blocking
// getaddrinfo() inside every nonblocking connect.
// The object must be destroyed before `base`. Destruction abandons pending lookups: their
// `done` is never called, and no callback runs after destruction.
std::unique_ptr<RoamingLookup> make_mysql_lookup(struct event_base* base, const MysqlConfig& config,
                                                 std::int64_t window);
std::unique_ptr<RoamingLookup> make_mysql_lookup(struct event_base* base, const MysqlConfig& config,
                                                 std::int64_t window, MysqlLogSink log);

// The tools' side: blocking, bounded by connect/read/write timeouts, errors as StoreError.
// record() creates the table if it is missing.
std::unique_ptr<RoamingAdmin> make_mysql_admin(const MysqlConfig& config);

}  // namespace ucspi
