// Shared by the tests that talk to the fixture's MariaDB.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// Runs the statements in order on one connection (session settings carry over).
void exec_sql(const MysqlConfig& config, const std::vector<std::string>& statements);
// The first column of the first row, or nullopt (no row, or NULL).
std::optional<std::string> query_value(const MysqlConfig& config, const std::string& sql);

// A path in the test run's temporary directory that no other test or process uses:
// DIR/STEM-PID-N.
std::string unique_temp_path(std::string_view stem);

// Writes `config` as a config file (tags) for the programs; removed when the test run's
// temporary directory is.
std::string write_config_file(const MysqlConfig& config);

// The fixture server's root account, over the unix socket (no password).
MysqlConfig fixture_root_config();

// Sets the fixture server's global sql_mode for new sessions while it lives, then restores
// it: proves what a writer does whatever mode a server was configured with.
class ServerSqlMode {
 public:
  explicit ServerSqlMode(const std::string& mode);
  ~ServerSqlMode();
  ServerSqlMode(const ServerSqlMode&) = delete;
  ServerSqlMode& operator=(const ServerSqlMode&) = delete;

 private:
  std::string saved_;
};

// An INSERT as another writer in a non-strict session would do it: a value too long for its
// column is cut to fit, not refused.
void insert_like_a_lax_writer(const MysqlConfig& config, const std::string& ip,
                              const std::string& stamp);

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
