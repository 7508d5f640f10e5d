// Creating Connector/C handles the same way for both sides: timeouts always set, the socket
// close-on-exec (tcpserver's children and relay-allow's POP daemon must not inherit it).
#pragma once

#include <string>

#include "mysql/mysql_handles.h"
#include "mysql/mysql_store.h"

namespace ucspi {

// mysql_init with connect/read/write timeouts (whole seconds, rounded up: Connector/C's unit)
// and, for the event loop, MYSQL_OPT_NONBLOCK. Throws StoreError if out of memory.
MysqlPtr new_mysql_handle(const MysqlConfig& config, bool nonblocking);

// The arguments mysql_real_connect wants: a socket path wins over server/port.
struct ConnectTarget {
  const char* host;
  unsigned port;
  const char* socket;
};
ConnectTarget connect_target(const MysqlConfig& config);

// "127.0.0.1:3306" or "/run/mysqld/mysqld.sock", for messages.
std::string describe_server(const MysqlConfig& config);

void set_cloexec(int fd);

// Blocking connect for the tools; throws StoreError("mysql SERVER: error").
MysqlPtr connect_blocking(const MysqlConfig& config);

}  // namespace ucspi
