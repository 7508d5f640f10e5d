#include "mysql/ip_column_query.h"

#include <charconv>
#include <cstring>
#include <string>

#include "rules/roaming/roaming_store.h"

namespace ucspi {

std::optional<IpColumn> ip_column_from_result(MYSQL_RES* result) {
  MYSQL_ROW row = mysql_fetch_row(result);
  if (!row) return std::nullopt;
  IpColumn column{row[1] ? row[1] : "", std::nullopt};
  if (row[0]) {
    std::uint64_t width = 0;
    const char* end = row[0] + std::strlen(row[0]);
    auto [stop, ec] = std::from_chars(row[0], end, width);
    if (ec == std::errc() && stop == end) column.width = width;
  }
  return column;
}

std::optional<IpColumn> read_ip_column(MYSQL* mysql, std::string_view table) {
  const std::string sql = ip_column_sql(table);
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) {
    throw StoreError("mysql reading the ip_addr column: " + std::string(mysql_error(mysql)));
  }
  MysqlResultPtr result(mysql_store_result(mysql));
  if (!result) {
    throw StoreError("mysql reading the ip_addr column: " + std::string(mysql_error(mysql)));
  }
  return ip_column_from_result(result.get());
}

}  // namespace ucspi
