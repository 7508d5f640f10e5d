#include "db_support.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "mysql/mysql_connect.h"

namespace ucspi::test {

MysqlConfig fixture_config() {
  const char* path = std::getenv("UCSPI_MYSQL_CONF");
  if (!path || !*path) FAIL("UCSPI_MYSQL_CONF is not set: run through ctest (fixture mariadb)");
  return load_mysql_config(path);
}

MysqlConfig fixture_socket_config() {
  std::string path = std::getenv("UCSPI_MYSQL_CONF");
  return load_mysql_config(path.substr(0, path.rfind('/')) + "/sql-socket.conf");
}

std::string unique_table(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

void exec_sql(const MysqlConfig& config, const std::string& sql) {
  MysqlPtr mysql = connect_blocking(config);
  if (mysql_real_query(mysql.get(), sql.data(), sql.size()) != 0) {
    throw StoreError(sql + ": " + mysql_error(mysql.get()));
  }
}

void create_classic_table(const MysqlConfig& config) {
  exec_sql(config, "CREATE TABLE `" + config.table +
                       "` (ip_addr char(18) not null, timestamp char(12), primary key (ip_addr))");
}

PrivateServer::PrivateServer() {
  char dir_template[] = UCSPI_MYSQL_TEST_TMP "/private-mariadb-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  dir_ = dir_template;
  run("start");
}

PrivateServer::~PrivateServer() {
  try {
    run("stop");
  } catch (...) {
  }
  std::string command = "rm -rf '" + dir_ + "'";
  [[maybe_unused]] int ignored = std::system(command.c_str());
}

void PrivateServer::stop() { run("stop"); }
void PrivateServer::restart() { run("restart"); }

MysqlConfig PrivateServer::config() const { return load_mysql_config(dir_ + "/sql.conf"); }

void PrivateServer::run(const std::string& action) {
  std::string command = "bash '" UCSPI_MARIADB_FIXTURE "' " + action + " '" + dir_ + "' >&2";
  int status = std::system(command.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw StoreError("mariadb-fixture.sh " + action + " failed");
  }
}

}  // namespace ucspi::test
