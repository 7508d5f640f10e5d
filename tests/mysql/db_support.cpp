#include "tests/mysql/db_support.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
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
  exec_sql(config, std::vector<std::string>{sql});
}

void exec_sql(const MysqlConfig& config, const std::vector<std::string>& statements) {
  MysqlPtr mysql = connect_blocking(config);
  for (const std::string& sql : statements) {
    if (mysql_real_query(mysql.get(), sql.data(), sql.size()) != 0) {
      throw StoreError(sql + ": " + mysql_error(mysql.get()));
    }
  }
}

std::optional<std::string> query_value(const MysqlConfig& config, const std::string& sql) {
  MysqlPtr mysql = connect_blocking(config);
  if (mysql_real_query(mysql.get(), sql.data(), sql.size()) != 0) {
    throw StoreError(sql + ": " + mysql_error(mysql.get()));
  }
  MysqlResultPtr result(mysql_store_result(mysql.get()));
  if (!result) throw StoreError(sql + ": " + mysql_error(mysql.get()));
  MYSQL_ROW row = mysql_fetch_row(result.get());
  if (!row || !row[0]) return std::nullopt;
  return std::string(row[0]);
}

// Appended piece by piece: gcc 12's -Warray-bounds misreads a chain of operator+ on the long
// directory literal (a false positive, GCC bug 105651).
std::string unique_temp_path(std::string_view stem) {
  static std::atomic<int> counter{0};
  std::string path = UCSPI_MYSQL_TEST_TMP;
  path += '/';
  path += stem;
  path += '-';
  path += std::to_string(getpid());
  path += '-';
  path += std::to_string(counter++);
  return path;
}

std::string write_config_file(const MysqlConfig& config) {
  const std::string path = unique_temp_path("conf");
  std::string text = "database " + config.database + "\ntable " + config.table + "\nuser " +
                     config.user + "\npass " + config.pass + "\n";
  if (config.time) text += "time " + std::to_string(*config.time) + "\n";
  if (config.socket.empty()) {
    text += "server " + config.server + "\nport " + std::to_string(config.port) + "\n";
  } else {
    text += "socket " + config.socket + "\n";
  }
  FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file != nullptr);
  REQUIRE(std::fwrite(text.data(), 1, text.size(), file) == text.size());
  REQUIRE(std::fclose(file) == 0);
  return path;
}

MysqlConfig fixture_root_config() {
  MysqlConfig root = fixture_socket_config();
  root.user = "root";
  root.pass = "";
  return root;
}

ServerSqlMode::ServerSqlMode(const std::string& mode) {
  saved_ = query_value(fixture_root_config(), "SELECT @@GLOBAL.sql_mode").value_or("");
  exec_sql(fixture_root_config(), "SET GLOBAL sql_mode = '" + mode + "'");
}

ServerSqlMode::~ServerSqlMode() {
  try {
    exec_sql(fixture_root_config(), "SET GLOBAL sql_mode = '" + saved_ + "'");
  } catch (const StoreError& e) {
    UNSCOPED_INFO("restoring the server's sql_mode failed: " << e.what());
  }
}

void insert_like_a_lax_writer(const MysqlConfig& config, const std::string& ip,
                              const std::string& stamp) {
  exec_sql(config, {"SET SESSION sql_mode = ''",
                    "REPLACE INTO `" + config.table + "` VALUES ('" + ip + "', " + stamp + ")"});
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
