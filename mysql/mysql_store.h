// The roaming table kept in MySQL/MariaDB, compatible with vpopmail's `relay` table
// (ip_addr primary key, timestamp as Unix seconds in INT or the classic CHAR(12); NULL = a
// permanent netblock that always relays). Configured by the classic -S patch's file format.
//
// The blocking side, for the tools that write and inspect the table. The nonblocking lookup
// that relay-mysql serve answers tcpserver with is login_lookup.h; it reports login times and
// leaves the relay window to tcpserver. Unlike the classic patch, no failure relays: a missing
// or bad config file is a StoreError at startup, and a dead server is `unavailable` within the
// query timeout instead of blocking tcpserver or relaying for everyone.
#pragma once

#include <memory>
#include <optional>

#include "mysql/ip_column.h"
#include "mysql/mysql_config.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {

// The tools' side: blocking, bounded by connect/read/write timeouts, errors as StoreError.
// record() creates the table if it is missing, and never stores an address cut short: its
// session is strict whatever the server's sql_mode, and an address too long for the column
// is a StoreError naming the column and the ALTER TABLE that widens it.
std::unique_ptr<RoamingAdmin> make_mysql_admin(const MysqlConfig& config);

// The table's ip_addr column (relay-mysql check); nullopt when the table does not exist yet.
// Blocking; throws StoreError.
std::optional<IpColumn> read_mysql_ip_column(const MysqlConfig& config);

}  // namespace ucspi
