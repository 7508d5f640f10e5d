// The SQL text this store sends. The table name comes from the config file and cannot be a bind
// parameter, so it is validated (identifier characters only) and backquoted; values are bound
// (admin) or escaped by the server's rules (lookup).
//
// Timestamps are compared through CAST(timestamp AS SIGNED) so the same statements work on an
// INT/BIGINT column and on vpopmail's classic CHAR(12) text column; CAST(NULL) stays NULL, which
// keeps permanent (NULL) rows out of every `<=` comparison.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

// MySQL unquoted-identifier characters [A-Za-z0-9_$], 1..64 long, not all digits.
bool valid_table_name(std::string_view name);

std::string quoted_table(std::string_view table);

// Wide enough for any RFC 5952 text (at most 45 characters with a dotted tail).
std::string create_table_sql(std::string_view table);
std::string record_sql(std::string_view table);   // ? ip, ? now
std::string list_sql(std::string_view table);     // ip_addr, timestamp-or-NULL
std::string expire_sql(std::string_view table);   // ? cutoff
// Columns ip_addr and timestamp (NULL for a permanent row) of the rows for these IPs, which
// are already escaped; at least one.
std::string lookup_sql(std::string_view table, const std::vector<std::string>& escaped_ips);

// A CAST(timestamp AS SIGNED) value read back; nullopt for text that is not one (a broken
// row: it must grant nothing and crash nothing).
std::optional<std::int64_t> parse_stamp(std::string_view text);

}  // namespace ucspi
