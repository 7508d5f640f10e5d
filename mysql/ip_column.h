// The width of the table's ip_addr column. vpopmail creates it char(18), which holds every
// IPv4 address but not every IPv6 one: a server in a non-strict sql_mode cuts a longer
// address to 18 characters and stores it, and that row then matches whatever address the
// cut text spells. So writers refuse to store a cut address, and the lookup refuses to answer
// a key that such a cut could have produced (never relay the wrong client).
// Pure text and rules: no Connector/C (library ucspi_mysql_config).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ucspi {

// The longest address text any writer may store: canonical IPv6 with a dotted IPv4 tail,
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
inline constexpr std::size_t longest_ip_text = 45;

struct IpColumn {
  std::string type;                    // information_schema's COLUMN_TYPE, e.g. "char(18)"
  std::optional<std::uint64_t> width;  // CHARACTER_MAXIMUM_LENGTH; none: not a text column
};

// Selects CHARACTER_MAXIMUM_LENGTH and COLUMN_TYPE of the table's ip_addr column in the
// connection's database; no row when the table (or the column) does not exist. `table` must
// be a valid_table_name.
std::string ip_column_sql(std::string_view table);

bool holds_every_address(const IpColumn& column);

// A key of the column's full width (or wider) may match a row cut from a longer address.
bool key_is_ambiguous(const IpColumn& column, std::string_view key);

// ALTER TABLE `relay` MODIFY ip_addr VARCHAR(64) NOT NULL
std::string widen_ip_column_sql(std::string_view table);
// DELETE FROM `relay` WHERE CHAR_LENGTH(ip_addr) >= 18: widening keeps the rows already cut,
// which would then match the address their text spells. Requires column.width.
std::string drop_cut_rows_sql(std::string_view table, const IpColumn& column);

// "table `relay` column ip_addr is char(18), too narrow for the longest addresses (45
// characters): fix it with ALTER TABLE ..., then drop the rows that may have been cut with
// DELETE FROM ...", for warnings, PERM replies and relay-mysql check.
std::string narrow_ip_column_text(std::string_view table, const IpColumn& column);

}  // namespace ucspi
