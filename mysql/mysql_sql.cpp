#include "mysql/mysql_sql.h"

#include <algorithm>
#include <charconv>

namespace ucspi {

namespace {

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '$';
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) out += part;
  return out;
}

}  // namespace

bool valid_table_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::all_of(name.begin(), name.end(), identifier_char)) return false;
  // An all-digit name would parse as a number, not an identifier, when unquoted elsewhere.
  return !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string quoted_table(std::string_view table) { return cat({"`", table, "`"}); }

std::string create_table_sql(std::string_view table) {
  return cat({"CREATE TABLE IF NOT EXISTS ", quoted_table(table),
              " (ip_addr VARCHAR(64) NOT NULL, timestamp BIGINT NULL, PRIMARY KEY (ip_addr))"});
}

std::string record_sql(std::string_view table) {
  return cat({"REPLACE INTO ", quoted_table(table), " (ip_addr, timestamp) VALUES (?, ?)"});
}

std::string list_sql(std::string_view table) {
  return cat({"SELECT ip_addr, CAST(timestamp AS SIGNED) FROM ", quoted_table(table),
              " ORDER BY ip_addr"});
}

std::string expire_sql(std::string_view table) {
  return cat({"DELETE FROM ", quoted_table(table), " WHERE CAST(timestamp AS SIGNED) <= ?"});
}

std::string lookup_sql(std::string_view table, const std::vector<std::string>& escaped_ips) {
  std::string sql = cat({"SELECT ip_addr, CAST(timestamp AS SIGNED) FROM ", quoted_table(table),
                         " WHERE ip_addr IN ("});
  for (std::size_t i = 0; i < escaped_ips.size(); ++i) {
    sql += cat({i ? ", '" : "'", escaped_ips[i], "'"});
  }
  return sql + ")";
}

std::optional<std::int64_t> parse_stamp(std::string_view text) {
  std::int64_t stamp = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), stamp);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return stamp;
}

}  // namespace ucspi
