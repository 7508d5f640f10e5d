#include "mysql/ip_column.h"

#include "mysql/mysql_sql.h"

namespace ucspi {

std::string ip_column_sql(std::string_view table) {
  std::string sql =
      "SELECT CHARACTER_MAXIMUM_LENGTH, COLUMN_TYPE FROM information_schema.COLUMNS"
      " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '";
  sql += table;  // an identifier: nothing in it needs escaping inside quotes
  sql += "' AND COLUMN_NAME = 'ip_addr'";
  return sql;
}

bool holds_every_address(const IpColumn& column) {
  return column.width && *column.width >= longest_ip_text;
}

bool key_is_ambiguous(const IpColumn& column, std::string_view key) {
  // Nothing longer than longest_ip_text exists to be cut, so a wide column is never ambiguous;
  // a column that is not text at all gives no width to reason with (its lookups simply fail).
  return column.width && !holds_every_address(column) && key.size() >= *column.width;
}

std::string widen_ip_column_sql(std::string_view table) {
  return "ALTER TABLE " + quoted_table(table) + " MODIFY ip_addr VARCHAR(64) NOT NULL";
}

std::string drop_cut_rows_sql(std::string_view table, const IpColumn& column) {
  return "DELETE FROM " + quoted_table(table) +
         " WHERE CHAR_LENGTH(ip_addr) >= " + std::to_string(column.width.value_or(0));
}

std::string narrow_ip_column_text(std::string_view table, const IpColumn& column) {
  std::string text = "table " + quoted_table(table) + " column ip_addr is " + column.type +
                     ", too narrow for the longest addresses (" +
                     std::to_string(longest_ip_text) + " characters): fix it with " +
                     widen_ip_column_sql(table);
  if (column.width) {
    text += ", then drop the rows that may have been cut with " + drop_cut_rows_sql(table, column);
  }
  return text;
}

}  // namespace ucspi
