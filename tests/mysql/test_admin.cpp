#include <catch2/catch.hpp>

#include "tests/mysql/db_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

std::optional<std::optional<std::int64_t>> entry_of(const std::vector<RoamingEntry>& entries,
                                                    const std::string& ip) {
  for (const auto& e : entries) {
    if (e.ip == ip) return e.last_login;
  }
  return std::nullopt;
}

// The admin contract, run on both column layouts.
void check_record_list_expire(const MysqlConfig& config) {
  auto admin = make_mysql_admin(config);
  admin->record("10.0.0.1", 1000);
  admin->record("2001:db8::1", 2000);
  admin->record("::ffff:192.0.2.7", 3000);  // stored under its canonical dotted quad
  admin->record("10.0.0.1", 1500);          // REPLACE: the newer login wins
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('198.51.100.1', NULL)");

  auto entries = admin->list();
  CHECK(entries.size() == 4);
  CHECK(entry_of(entries, "10.0.0.1") == std::optional<std::optional<std::int64_t>>(1500));
  CHECK(entry_of(entries, "2001:db8::1") == std::optional<std::optional<std::int64_t>>(2000));
  CHECK(entry_of(entries, "192.0.2.7") == std::optional<std::optional<std::int64_t>>(3000));
  auto permanent = entry_of(entries, "198.51.100.1");
  REQUIRE(permanent.has_value());
  CHECK_FALSE(permanent->has_value());

  CHECK(admin->expire(999) == 0);
  CHECK(admin->expire(2000) == 2);  // <= cutoff goes; the NULL row stays
  entries = admin->list();
  CHECK(entries.size() == 2);
  CHECK(entry_of(entries, "192.0.2.7").has_value());
  CHECK(entry_of(entries, "198.51.100.1").has_value());
  CHECK(admin->expire(1LL << 40) == 1);
  entries = admin->list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].ip == "198.51.100.1");
}

}  // namespace

TEST_CASE("admin: record creates the table, list and expire on BIGINT timestamps") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("admin_int");
  auto admin = make_mysql_admin(config);
  CHECK(admin->list().empty());  // no table yet: nothing, not an error
  CHECK(admin->expire(100) == 0);
  check_record_list_expire(config);
}

TEST_CASE("admin: vpopmail's classic CHAR(12) timestamp column") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("admin_char");
  create_classic_table(config);
  check_record_list_expire(config);

  // Text that is not a number reads as 0, as in vpopmail's own `timestamp <= N`: it expires.
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('203.0.113.1', '')");
  auto admin = make_mysql_admin(config);
  auto junk = entry_of(admin->list(), "203.0.113.1");
  CHECK(junk == std::optional<std::optional<std::int64_t>>(0));
  CHECK(admin->expire(0) == 1);
}

TEST_CASE("admin: over the unix socket") {
  MysqlConfig config = fixture_socket_config();
  config.table = unique_table("admin_sock");
  auto admin = make_mysql_admin(config);
  admin->record("10.9.8.7", 42);
  auto entries = admin->list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].ip == "10.9.8.7");
  CHECK(entries[0].last_login == 42);
}

TEST_CASE("admin: garbage addresses and bad credentials are StoreErrors") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("admin_err");
  auto admin = make_mysql_admin(config);
  CHECK_THROWS_WITH(admin->record("", 1), Catch::Contains("not an IP address"));
  CHECK_THROWS_WITH(admin->record("2001_db8__1", 1), Catch::Contains("not an IP address"));

  config.pass = "wrong";
  auto denied = make_mysql_admin(config);
  CHECK_THROWS_WITH(denied->list(), Catch::Contains("Access denied") &&
                                        Catch::Contains("127.0.0.1:" + std::to_string(config.port)));
}

TEST_CASE("admin: a table name that is not an identifier is refused up front") {
  MysqlConfig config = fixture_config();
  config.table = "relay; DROP TABLE relay";
  CHECK_THROWS_AS(make_mysql_admin(config), StoreError);
}
