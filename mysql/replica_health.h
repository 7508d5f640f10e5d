// Is the local replica fresh enough to be believed when it has no row? Read from the replica's
// own SHOW SLAVE STATUS: both replication threads running and Seconds_Behind_Master at most
// max_lag. Anything else (a thread stopped or reconnecting, an unknown lag, no replication
// configured, a status we cannot read) is "not fresh", and a miss is asked of the primary.
#pragma once

#include <mysql.h>

#include <string>

namespace ucspi {

struct ReplicaHealth {
  bool fresh = false;
  std::string why;  // when not fresh: what the status said, for the TEMP reason
};

// SHOW SLAVE STATUS, not SHOW REPLICA STATUS: MariaDB before 10.5 and MySQL before 8.0.22
// know only the old name. Needs SLAVE MONITOR (MariaDB 10.5.9+), REPLICATION CLIENT (older
// MariaDB, MySQL) or SUPER.
const char* replica_status_sql();

// The status query's result, read by column name (its column order differs by version).
ReplicaHealth replica_health(MYSQL_RES* result, unsigned max_lag);

}  // namespace ucspi
