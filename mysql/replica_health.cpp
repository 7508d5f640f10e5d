#include "mysql/replica_health.h"

#include <optional>
#include <string_view>

#include "mysql/mysql_sql.h"

namespace ucspi {

namespace {

// The value of the named column in `row`; nullopt when the column is missing or NULL.
std::optional<std::string_view> column(MYSQL_RES* result, MYSQL_ROW row, std::string_view name) {
  MYSQL_FIELD* fields = mysql_fetch_fields(result);
  for (unsigned i = 0; i < mysql_num_fields(result); ++i) {
    if (name == fields[i].name) {
      if (!row[i]) return std::nullopt;
      return std::string_view(row[i]);
    }
  }
  return std::nullopt;
}

}  // namespace

const char* replica_status_sql() { return "SHOW SLAVE STATUS"; }

ReplicaHealth replica_health(MYSQL_RES* result, unsigned max_lag) {
  MYSQL_ROW row = result ? mysql_fetch_row(result) : nullptr;
  if (!row) return {false, "the replica has no replication configured (SHOW SLAVE STATUS is empty)"};
  for (const char* thread : {"Slave_IO_Running", "Slave_SQL_Running"}) {
    std::optional<std::string_view> running = column(result, row, thread);
    if (running != std::string_view("Yes")) {
      return {false, std::string(thread) + " is " + std::string(running.value_or("unknown"))};
    }
  }
  std::optional<std::string_view> behind = column(result, row, "Seconds_Behind_Master");
  if (!behind) return {false, "Seconds_Behind_Master is NULL"};
  std::optional<std::int64_t> seconds = parse_stamp(*behind);
  if (!seconds || *seconds < 0 || *seconds > static_cast<std::int64_t>(max_lag)) {
    return {false, "Seconds_Behind_Master is " + std::string(*behind) + ", over max_lag " +
                       std::to_string(max_lag)};
  }
  return {true, {}};
}

}  // namespace ucspi
