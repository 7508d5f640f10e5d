// Reading the ip_addr column's width (ip_column.h) from information_schema, for the blocking
// tools and for the lookup's connect sequence alike.
#pragma once

#include <optional>
#include <string_view>

#include "mysql/ip_column.h"
#include "mysql/mysql_handles.h"

namespace ucspi {

// The first row of ip_column_sql's result; nullopt when there is none (no such table).
std::optional<IpColumn> ip_column_from_result(MYSQL_RES* result);

// Runs ip_column_sql on a blocking connection. Throws StoreError.
std::optional<IpColumn> read_ip_column(MYSQL* mysql, std::string_view table);

}  // namespace ucspi
