#include <catch2/catch.hpp>

#include "mysql/mysql_sql.h"

using namespace ucspi;

TEST_CASE("sql: table names are plain identifiers only") {
  CHECK(valid_table_name("relay"));
  CHECK(valid_table_name("relay_2$"));
  CHECK(valid_table_name("R"));
  CHECK_FALSE(valid_table_name(""));
  CHECK_FALSE(valid_table_name("123"));
  CHECK_FALSE(valid_table_name("relay`; DROP TABLE x; --"));
  CHECK_FALSE(valid_table_name("db.relay"));
  CHECK_FALSE(valid_table_name("rel ay"));
  CHECK_FALSE(valid_table_name(std::string(65, 'a')));
  CHECK(valid_table_name(std::string(64, 'a')));
}

TEST_CASE("sql: statements quote the table and cast the timestamp") {
  CHECK(record_sql("relay") == "REPLACE INTO `relay` (ip_addr, timestamp) VALUES (?, ?)");
  CHECK(expire_sql("relay") == "DELETE FROM `relay` WHERE CAST(timestamp AS SIGNED) <= ?");
  CHECK(lookup_sql("relay", {"10.0.0.1"}) ==
        "SELECT ip_addr, CAST(timestamp AS SIGNED) FROM `relay` WHERE ip_addr IN ('10.0.0.1')");
  CHECK(lookup_sql("relay", {"10.0.0.1", "::1"}).ends_with(" IN ('10.0.0.1', '::1')"));
  CHECK(create_table_sql("relay").find("ip_addr VARCHAR(64) NOT NULL") != std::string::npos);
}
