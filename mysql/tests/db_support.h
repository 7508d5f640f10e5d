// Shared by the tests that talk to the fixture's MariaDB.
#pragma once

#include <string>

#include "mysql/mysql_store.h"

namespace ucspi::test {

// The fixture's config (UCSPI_MYSQL_CONF). Fails the test if the variable is missing:
// database tests never skip.
MysqlConfig fixture_config();
// The same server over its unix socket.
MysqlConfig fixture_socket_config();

// A table name nobody else uses, so tests can run in parallel on one server.
std::string unique_table(const std::string& stem);

// Runs SQL as the fixture's user, blocking; throws StoreError.
void exec_sql(const MysqlConfig& config, const std::string& sql);

// vpopmail's classic layout: CHAR(18) ip_addr, CHAR(12) text timestamp.
void create_classic_table(const MysqlConfig& config);

// A private MariaDB from mariadb-fixture.sh in its own directory, stopped on destruction.
class PrivateServer {
 public:
  PrivateServer();
  ~PrivateServer();
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;

  void stop();
  void restart();
  MysqlConfig config() const;

 private:
  void run(const std::string& action);
  std::string dir_;
};

}  // namespace ucspi::test
