// vpopmail's `ip_addr char(18)` against long IPv6 addresses: nothing is ever stored cut short,
// whatever the server's sql_mode; a row another writer cut never relays the address its text
// collides with; and relay-mysql check tells the admin, with the statements that fix it.
#include <catch2/catch.hpp>

#include "tests/mysql/db_support.h"
#include "tests/mysql/event_loop.h"
#include "tests/mysql/helper_process.h"

using namespace ucspi;
using namespace ucspi::test;
using Status = LoginAnswer::Status;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kLong = "2001:db8:85a3:1234:5678:8a2e:370:7334";
// A canonical address of exactly 18 characters, and a longer one a lax writer cuts to it.
const std::string kCut = "2001:db8::1:2:3:45";
const std::string kUncut = "2001:db8::1:2:3:4567";

MysqlConfig vpopmail_table(const std::string& stem) {
  MysqlConfig config = fixture_config();
  config.table = unique_table(stem);
  create_classic_table(config);
  return config;
}

std::string fix_text(const MysqlConfig& config) {
  const std::string table = "`" + config.table + "`";
  return "table " + table + " column ip_addr is char(18), too narrow for the longest addresses "
         "(45 characters): fix it with ALTER TABLE " + table +
         " MODIFY ip_addr VARCHAR(64) NOT NULL, then drop the rows that may have been cut with "
         "DELETE FROM " + table + " WHERE CHAR_LENGTH(ip_addr) >= 18";
}

std::vector<std::string> stored_ips(const MysqlConfig& config) {
  std::vector<std::string> ips;
  for (const RoamingEntry& entry : make_mysql_admin(config)->list()) ips.push_back(entry.ip);
  return ips;
}

// Through the admin library and through relay-allow (which execs relay-mysql allow).
void check_writers_never_cut(const MysqlConfig& config) {
  auto admin = make_mysql_admin(config);
  CHECK_THROWS_WITH(admin->record(kLong, kNow), "mysql record: " + kLong + " does not fit: " +
                                                    fix_text(config));
  admin->record("10.1.1.1", kNow);  // the admin carries on after the refusal

  ProgramResult login = run_program({UCSPI_RELAY_ALLOW, "-s", "mysql:" + write_config_file(config),
                                     "-i", kUncut, "/bin/echo", "login"});
  CHECK(login.exit_code == 0);
  CHECK(login.out == "login\n");  // a store problem never costs the login
  CHECK(login.err == "relay-allow: warning: unable to record " + kUncut +
                         ": mysql record: " + kUncut + " does not fit: " + fix_text(config) + "\n");

  CHECK(stored_ips(config) == std::vector<std::string>{"10.1.1.1"});
}

}  // namespace

TEST_CASE("narrow column: writers never store an address cut short, server strict") {
  check_writers_never_cut(vpopmail_table("narrow_strict"));
}

TEST_CASE("narrow column: writers never store an address cut short, server sql_mode empty") {
  ServerSqlMode lax("");
  MysqlConfig config = vpopmail_table("narrow_lax");
  // The server really would cut: a plain INSERT in a new session is stored cut short.
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('" + kUncut + "', NULL)");
  REQUIRE(query_value(config, "SELECT ip_addr FROM `" + config.table + "`") == kCut);
  exec_sql(config, "DELETE FROM `" + config.table + "`");
  check_writers_never_cut(config);
}

TEST_CASE("narrow column: a row another writer cut never grants relay to its collision") {
  MysqlConfig config = vpopmail_table("narrow_collide");
  insert_like_a_lax_writer(config, kUncut, std::to_string(kNow - 5));
  REQUIRE(query_value(config, "SELECT ip_addr FROM `" + config.table + "`") == kCut);
  make_mysql_admin(config)->record("10.1.1.1", kNow - 5);

  EventLoop loop;
  auto logins = make_mysql_login_lookup(loop.base(), config);
  LoginAnswer cut = login_now(loop, *logins, kCut);
  CHECK(cut.status == Status::refused);
  CHECK(cut.reason == "cannot tell " + kCut + " from a longer address cut to 18 characters: " +
                          fix_text(config));
  CHECK(login_now(loop, *logins, kUncut).status == Status::refused);
  CHECK(login_now(loop, *logins, kLong).status == Status::refused);
  CHECK(describe(login_now(loop, *logins, "10.1.1.1")) == "found " + std::to_string(kNow - 5));
  CHECK(describe(login_now(loop, *logins, "2001:db8::7")) == "absent");  // short IPv6 is fine

  ServeProcess helper(write_config_file(config));
  CHECK(helper.answer(kCut) == "PERM " + cut.reason);
  CHECK(helper.answer("10.1.1.1") == "OK " + std::to_string(kNow - 5));

  // The fix as printed: afterwards the address is simply not found, and can be recorded.
  exec_sql(config, {"ALTER TABLE `" + config.table + "` MODIFY ip_addr VARCHAR(64) NOT NULL",
                    "DELETE FROM `" + config.table + "` WHERE CHAR_LENGTH(ip_addr) >= 18"});
  ServeProcess widened(write_config_file(config));
  CHECK(widened.answer(kCut) == "NOTFOUND ");
  make_mysql_admin(config)->record(kUncut, kNow);
  CHECK(widened.answer(kUncut) == "OK " + std::to_string(kNow));
}

TEST_CASE("check: exit 1 and the fix for char(18), 0 once widened or before the table exists") {
  MysqlConfig config = vpopmail_table("check_narrow");
  const std::string conf = write_config_file(config);
  ProgramResult narrow = run_program({UCSPI_RELAY_MYSQL, "check", conf});
  CHECK(narrow.exit_code == 1);
  CHECK(narrow.out == fix_text(config) + "\nALTER TABLE `" + config.table +
                          "` MODIFY ip_addr VARCHAR(64) NOT NULL;\nDELETE FROM `" + config.table +
                          "` WHERE CHAR_LENGTH(ip_addr) >= 18;\n");
  CHECK(narrow.err.empty());

  exec_sql(config, "ALTER TABLE `" + config.table + "` MODIFY ip_addr VARCHAR(64) NOT NULL");
  ProgramResult wide = run_program({UCSPI_RELAY_MYSQL, "check", conf});
  CHECK(wide.exit_code == 0);
  CHECK(wide.out ==
        "table `" + config.table + "` column ip_addr is varchar(64): holds every address\n");

  MysqlConfig missing = fixture_config();
  missing.table = unique_table("check_missing");
  ProgramResult none = run_program({UCSPI_RELAY_MYSQL, "check", write_config_file(missing)});
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.out, Catch::StartsWith("table `" + missing.table + "` does not exist yet"));
}

TEST_CASE("check: exit 111 when the database or the config fails, 100 for usage") {
  MysqlConfig config = fixture_config();
  config.pass = "wrong";
  ProgramResult denied = run_program({UCSPI_RELAY_MYSQL, "check", write_config_file(config)});
  CHECK(denied.exit_code == 111);
  CHECK_THAT(denied.err, Catch::StartsWith("relay-mysql: fatal: mysql 127.0.0.1:") &&
                             Catch::Contains("Access denied"));

  ProgramResult missing = run_program({UCSPI_RELAY_MYSQL, "check", "/nonexistent/sql"});
  CHECK(missing.exit_code == 111);
  CHECK(missing.err ==
        "relay-mysql: fatal: unable to read /nonexistent/sql: file does not exist\n");

  ProgramResult usage = run_program({UCSPI_RELAY_MYSQL, "check"});
  CHECK(usage.exit_code == 100);
  CHECK(usage.err == "relay-mysql: usage: relay-mysql check CONFIGFILE\n");
}
