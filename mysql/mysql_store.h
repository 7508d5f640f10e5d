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
#include <optional>
#include <string>
#include <string_view>

#include "mysql/ip_column.h"
#include "mysql/login_lookup.h"
#include "mysql/mysql_config.h"
#include "rules/roaming/roaming_store.h"

struct event_base;

namespace ucspi {

// Kept for callers written before the store helper; nothing is logged through it any more:
// an unavailable lookup's reason travels in its RelayVerdict.
using MysqlLogSink = std::function<void(std::string_view line)>;

// The lookup with a relay window applied, as a RoamingLookup: make_mysql_login_lookup
// (login_lookup.h: one nonblocking connection on `base`, its queue, timeouts and backoff)
// answering relay iff the IP has a permanent row or one younger than `window` seconds.
// `unavailable` and a refused key (too narrow a column) answer unavailable with the reason.
// Throws StoreError like make_mysql_login_lookup. Must be destroyed before `base`; no
// callback runs after destruction.
std::unique_ptr<RoamingLookup> make_mysql_lookup(struct event_base* base, const MysqlConfig& config,
                                                 std::int64_t window);
std::unique_ptr<RoamingLookup> make_mysql_lookup(struct event_base* base, const MysqlConfig& config,
                                                 std::int64_t window, MysqlLogSink unused);

// The window rule: relay iff permanent or newer than now - window; absent is no relay;
// unavailable and refused are unavailable with the reason.
RelayVerdict relay_verdict(LoginAnswer answer, std::int64_t now, std::int64_t window);

// The tools' side: blocking, bounded by connect/read/write timeouts, errors as StoreError.
// record() creates the table if it is missing, and never stores an address cut short: its
// session is strict whatever the server's sql_mode, and an address too long for the column
// is a StoreError naming the column and the ALTER TABLE that widens it.
std::unique_ptr<RoamingAdmin> make_mysql_admin(const MysqlConfig& config);

// The table's ip_addr column (relay-mysql check); nullopt when the table does not exist yet.
// Blocking; throws StoreError.
std::optional<IpColumn> read_mysql_ip_column(const MysqlConfig& config);

}  // namespace ucspi
