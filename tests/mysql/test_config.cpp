#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "mysql/mysql_store.h"
#include "mysql/server_address.h"

using namespace ucspi;

namespace {

// A config file in a private temporary directory, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char dir_template[] = "/tmp/ucspi-mysql-config-XXXXXX";
    dir_ = mkdtemp(dir_template);
    path_ = dir_ + "/sql";
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

std::string error_of(const std::string& text) {
  TempFile file(text);
  try {
    load_mysql_config(file.path());
  } catch (const StoreError& e) {
    std::string message = e.what();
    REQUIRE(message.rfind(file.path(), 0) == 0);  // names the file first
    return message.substr(file.path().size());
  }
  FAIL("no StoreError for:\n" << text);
  return {};
}

}  // namespace

TEST_CASE("config: Mail::Toaster's file, spaces and tabs, any tag case") {
  TempFile file(
      "# written by Mail::Toaster\n"
      "server db.example.org\n"
      "PORT\t3307\n"
      "Database  mail\n"
      "table relay_v6   # trailing comment\n"
      "user vpopmail\n"
      "pass se#cret\n"
      "\n"
      "   time 900\n");
  MysqlConfig config = load_mysql_config(file.path());
  CHECK(config.server == "db.example.org");
  CHECK(config.port == 3307);
  CHECK(config.database == "mail");
  CHECK(config.table == "relay_v6");
  CHECK(config.user == "vpopmail");
  CHECK(config.pass == "se#cret");
  CHECK(config.time == 900);
  CHECK(config.socket.empty());
  CHECK(config.connect_timeout_ms == 1000);
  CHECK(config.query_timeout_ms == 1000);
}

TEST_CASE("config: defaults and the socket tag") {
  TempFile file("user u\npass p\nsocket /run/mysqld/mysqld.sock\n");
  MysqlConfig config = load_mysql_config(file.path());
  CHECK(config.server == "localhost");
  CHECK(config.port == 3306);
  CHECK(config.database == "vpopmail");
  CHECK(config.table == "relay");
  CHECK_FALSE(config.time);  // the store factory's default applies (1800 s)
  CHECK(config.socket == "/run/mysqld/mysqld.sock");
}

TEST_CASE("config: no primary tags, no primary: the single-server store") {
  TempFile file("user u\npass p\n");
  MysqlConfig config = load_mysql_config(file.path());
  CHECK_FALSE(has_primary(config));
  CHECK(writer_config(config).server == "localhost");
  CHECK(writer_config(config).user == "u");
}

TEST_CASE("config: a replica's file names its primary; writers go there") {
  TempFile file(
      "server 127.0.0.1\nport 3307\nuser reader\npass r\n"
      "primary_server 10.0.0.1\nprimary_port 3308\nmax_lag 5\n");
  MysqlConfig config = load_mysql_config(file.path());
  REQUIRE(has_primary(config));
  CHECK(config.max_lag == 5);
  MysqlConfig primary = primary_of(config);
  CHECK(primary.server == "10.0.0.1");
  CHECK(primary.port == 3308);
  CHECK(primary.user == "reader");  // user and pass stand in for primary_user/primary_pass
  CHECK(primary.pass == "r");
  CHECK_FALSE(has_primary(primary));
  CHECK(writer_config(config).server == "10.0.0.1");
  CHECK(writer_config(config).port == 3308);
}

TEST_CASE("config: primary_user, primary_pass and primary_socket") {
  TempFile file(
      "user reader\npass r\nprimary_socket /run/p.sock\nprimary_user writer\n"
      "primary_pass w\n");
  MysqlConfig config = load_mysql_config(file.path());
  CHECK(config.max_lag == 2);
  MysqlConfig primary = primary_of(config);
  CHECK(primary.socket == "/run/p.sock");
  CHECK(primary.user == "writer");
  CHECK(primary.pass == "w");
  CHECK(config.user == "reader");
}

TEST_CASE("config: primary tags without a primary, and bad values, are errors") {
  CHECK(error_of("user u\npass p\nmax_lag 3\n") ==
        ": line 3: `max_lag` without primary_server or primary_socket");
  CHECK(error_of("user u\npass p\nprimary_user w\n") ==
        ": line 3: `primary_user` without primary_server or primary_socket");
  CHECK(error_of("user u\npass p\nprimary_server h\nprimary_port 0\n") ==
        ": line 4: primary_port `0` is not a number from 1 to 65535");
  CHECK(error_of("user u\npass p\nprimary_server h\nmax_lag -1\n") ==
        ": line 4: max_lag `-1` is not a number of seconds from 0 to 3600");
}

TEST_CASE("config: a missing file is an error, never an open relay") {
  try {
    load_mysql_config("/nonexistent/var/qmail/control/sql");
    FAIL("no StoreError");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()) ==
          "unable to read /nonexistent/var/qmail/control/sql: file does not exist");
  }
}

TEST_CASE("config: a directory is not a config file") {
  CHECK_THROWS_WITH(load_mysql_config("/tmp"), "unable to read /tmp: is a directory");
}

TEST_CASE("config: a FIFO is not a config file, and nobody waits on it") {
  char dir[] = "/tmp/mysql-config-fifo.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string fifo = std::string(dir) + "/sql";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // No writer ever opens the FIFO: an open without O_NONBLOCK would hang here for good.
  CHECK_THROWS_WITH(load_mysql_config(fifo), "unable to read " + fifo + ": not a regular file");
  ::unlink(fifo.c_str());
  ::rmdir(dir);
}

TEST_CASE("config: CRLF line ends, a last line without newline, blank and comment-only lines") {
  TempFile file("# comment\r\n\r\nuser u\r\n   # indented comment\npass p\r\ntime 60");
  MysqlConfig config = load_mysql_config(file.path());
  CHECK(config.user == "u");
  CHECK(config.pass == "p");
  CHECK(config.time == 60);
}

TEST_CASE("config: bad files name the line and the problem") {
  CHECK(error_of("user u\npass p\nhost db\n") ==
        ": line 3: unknown tag `host` (expected server, port, socket, database, table, user, pass, "
        "time, primary_server, primary_port, primary_socket, primary_user, primary_pass or "
        "max_lag)");
  CHECK(error_of("user=u\npass p\n").find(": line 1: tag `user=u` has no value") == 0);
  CHECK(error_of("user u\npass p\nport 99999\n") ==
        ": line 3: port `99999` is not a number from 1 to 65535");
  CHECK(error_of("user u\npass p\nport 33x\n") ==
        ": line 3: port `33x` is not a number from 1 to 65535");
  CHECK(error_of("user u\npass p\ntime 0\n") ==
        ": line 3: time `0` is not a positive number of seconds");
  CHECK(error_of("user u\npass p\ntime -5\n").find("time `-5`") != std::string::npos);
  CHECK(error_of("user u\npass p\ntable relay;drop\n").find("table `relay;drop` is not a plain") !=
        std::string::npos);
  CHECK(error_of("user u\npass p\ntable `relay`\n").find("is not a plain identifier") !=
        std::string::npos);
  CHECK(error_of("user u\npass p\npass q\n") == ": line 3: duplicate tag `pass` (first on line 2)");
  CHECK(error_of("user u\npass p q\n") == ": line 2: expected `tag value`, found more after `p`");
  CHECK(error_of("user u\n") == ": no `pass` line");
  CHECK(error_of("pass p\n") == ": no `user` line");
  CHECK(error_of("") == ": no `user` line");
}

TEST_CASE("the server's host name is resolved once, to an address", "[mysql][config]") {
  CHECK(ucspi::resolve_server_once("127.0.0.1") == "127.0.0.1");
  CHECK(ucspi::resolve_server_once("::1") == "::1");
  CHECK(ucspi::resolve_server_once("localhost") == "localhost");  // Connector/C: unix socket
  // A name that does not resolve is not tested: any lookup of one would leave the machine.
}
