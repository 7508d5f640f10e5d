// Hostile strings where an address belongs (issue 9): the MySQL store never runs them as SQL.
//
// Every entry point that takes an IP canonicalises it first (relay-allow, the helper's
// `relay KEY`, the admin's record(), the lookup), so none of these strings reaches a statement:
// the first test shows that refusal. The others go beneath the validation, to the SQL layer
// the store itself uses, and hand it the same strings: the writer's REPLACE binds them (they
// are stored byte for byte, as data, or refused whole), the lookup's IN (...) escapes them
// inside a quoted literal (each finds its own row and nothing else). The hostile statements
// name the test's own table, so an injection that worked would show as a missing table or
// as changed rows.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <mysqld_error.h>

#include "mysql/async_connection.h"
#include "mysql/login_lookup.h"
#include "mysql/mysql_connect.h"
#include "mysql/mysql_sql.h"
#include "mysql/mysql_statement.h"
#include "tests/mysql/db_support.h"
#include "tests/mysql/event_loop.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNow = 1700000000;

// The whole table, byte-exact: ip_addr -> CAST(timestamp AS SIGNED), "NULL" for a permanent row.
using Rows = std::map<std::string, std::string>;

std::vector<std::string> hostile_keys(const std::string& table) {
  const std::string drop = "DROP TABLE `" + table + "`";
  std::string quotes(300, '\'');
  std::string backslashes = "10.1.1.1";
  backslashes.resize(300, '\\');
  return {
      "1.2.3.4'); " + drop + "; --",
      "1.2.3.4'; " + drop + "; #",
      "' OR '1'='1",
      "10.1.1.1' OR '1'='1",
      "10.1.1.1') OR ('1'='1",
      "\\",
      "10.1.1.1\\",
      "\\'); " + drop + "; --",
      "\"); " + drop + "; --",
      "`; " + drop + "; --",
      std::string(1, '\0'),
      std::string("10.1.1.1\0' OR '1'='1", 20),
      "10.1.1.1\n' OR '1'='1",
      "10.1.1.1\r\n",
      "\x1a",
      "10.1.1.%",
      "\xbf' OR '1'='1",  // not UTF-8: the multibyte trick against escaping (GBK's 0xbf5c)
      "\xc0\x27 OR 1=1 -- x",
      quotes,       // 300 bytes
      backslashes,  // 300 bytes
  };
}

// For messages: the key with its control and non-ASCII bytes as \xNN, and its length.
std::string printable(const std::string& key) {
  std::string out;
  for (const char byte : key) {
    const auto c = static_cast<unsigned char>(byte);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return "'" + out + "' (" + std::to_string(key.size()) + " bytes)";
}

bool is_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
    } else if (c >= 0x80) {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

Rows read_rows(MYSQL* mysql, const std::string& table) {
  const std::string sql =
      "SELECT ip_addr, CAST(timestamp AS SIGNED) FROM " + quoted_table(table);
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0)
    FAIL("the table is not readable any more: " << mysql_error(mysql));
  MysqlResultPtr result(mysql_store_result(mysql));
  REQUIRE(result);
  Rows rows;
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    const unsigned long* length = mysql_fetch_lengths(result.get());
    rows[std::string(row[0], length[0])] = row[1] ? std::string(row[1], length[1]) : "NULL";
  }
  return rows;
}

Rows rows_of(const MysqlConfig& config) {
  MysqlPtr mysql = connect_blocking(config);
  return read_rows(mysql.get(), config.table);
}

// Three real logins and a permanent row: what every hostile key must leave alone.
Rows seed(const MysqlConfig& config) {
  auto admin = make_mysql_admin(config);
  admin->record("10.1.1.1", kNow - 60);
  admin->record("::1", kNow - 5);
  admin->record("2001:db8::7", kNow - 10);
  exec_sql(config, "INSERT INTO " + quoted_table(config.table) + " VALUES ('192.0.2.9', NULL)");
  Rows rows = rows_of(config);
  REQUIRE(rows.size() == 4);
  return rows;
}

// The same session setting as the store's writer: a value that does not fit is an error.
void make_strict(MYSQL* mysql) {
  const std::string sql =
      "SET SESSION sql_mode = TRIM(BOTH ',' FROM CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))";
  REQUIRE(mysql_real_query(mysql, sql.data(), sql.size()) == 0);
}

// Each hostile key through the writer's own statement, record_sql's REPLACE with bound values.
// Returns the keys the server stored (the others it refused with an error).
std::vector<std::string> bind_each(const MysqlConfig& config, const std::vector<std::string>& keys,
                                   bool all_must_fit) {
  MysqlPtr mysql = connect_blocking(config);
  make_strict(mysql.get());
  std::vector<std::string> stored;
  std::int64_t stamp = kNow;
  for (const std::string& key : keys) {
    INFO("key " << printable(key));
    std::uint64_t affected = 0;
    try {
      affected = Statement(mysql.get(), record_sql(config.table), "record")
                     .bind(key)
                     .bind(++stamp)
                     .execute();
    } catch (const StatementError& e) {
      // Refused as a value, for its length or its bytes: never a syntax error.
      INFO("refused: " << e.what());
      CHECK_FALSE(all_must_fit);
      CHECK((e.code() == ER_DATA_TOO_LONG || e.code() == ER_TRUNCATED_WRONG_VALUE_FOR_FIELD));
      continue;
    }
    CHECK(affected == 1);
    stored.push_back(key);
  }
  return stored;
}

// After the binds: the seed rows as they were, and each stored key byte for byte, no more.
void check_stored_verbatim(const MysqlConfig& config, const Rows& seeded,
                           const std::vector<std::string>& stored) {
  const Rows rows = rows_of(config);
  CHECK(rows.size() == seeded.size() + stored.size());
  for (const auto& [ip, stamp] : seeded) {
    INFO("seed row " << ip);
    CHECK(rows.count(ip) == 1);
    if (rows.count(ip)) CHECK(rows.at(ip) == stamp);
  }
  for (const std::string& key : stored) {
    INFO("stored key " << printable(key));
    CHECK(rows.count(key) == 1);
  }
}

// A nonblocking connection on the loop, as relay-mysql serve's lookup has one.
class LookupSession {
 public:
  explicit LookupSession(const MysqlConfig& config) : table_(config.table), connection_(loop_.base(), config) {
    connection_.connect([this](AsyncConnection::Outcome outcome) { got_ = std::move(outcome); });
    wait();
    REQUIRE(got_->error.empty());
  }

  // The rows lookup_sql finds for these keys, escaped as the lookup escapes them.
  std::set<std::string> ask(const std::vector<std::string>& keys) {
    std::vector<std::string> escaped;
    for (const std::string& key : keys) escaped.push_back(connection_.escape(key));
    got_.reset();
    connection_.query(lookup_sql(table_, escaped),
                      [this](AsyncConnection::Outcome outcome) { got_ = std::move(outcome); });
    wait();
    INFO("query error: " << got_->error);
    REQUIRE(got_->error.empty());
    std::set<std::string> found;
    while (MYSQL_ROW row = mysql_fetch_row(got_->result.get())) {
      const unsigned long* length = mysql_fetch_lengths(got_->result.get());
      found.insert(std::string(row[0], length[0]));
    }
    return found;
  }

 private:
  void wait() {
    if (!loop_.run_until([this] { return got_.has_value(); }, 5000ms))
      FAIL("no answer from the database within 5 s");
  }

  std::string table_;
  EventLoop loop_;
  AsyncConnection connection_;
  std::optional<AsyncConnection::Outcome> got_;
};

std::string found_at(std::int64_t seconds) { return "found " + std::to_string(seconds); }

}  // namespace

TEST_CASE("hostile keys: the writer and the lookup refuse them before any SQL") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("hostile_refused");
  const Rows seeded = seed(config);
  auto admin = make_mysql_admin(config);
  EventLoop loop;
  auto lookup = make_mysql_login_lookup(loop.base(), config);
  for (const std::string& key : hostile_keys(config.table)) {
    INFO("key " << printable(key));
    CHECK_THROWS_WITH(admin->record(key, kNow), Catch::Contains("not an IP address"));
    CHECK(describe(login_now(loop, *lookup, key)) == "absent");
  }
  CHECK(rows_of(config) == seeded);
  CHECK(describe(login_now(loop, *lookup, "10.1.1.1")) == found_at(kNow - 60));
}

TEST_CASE("hostile keys: beneath the validation, the writer's REPLACE binds them as data") {
  MysqlConfig config = fixture_config();

  SECTION("a column that takes any bytes: every key is stored, byte for byte") {
    config.table = unique_table("hostile_bin");
    exec_sql(config, "CREATE TABLE " + quoted_table(config.table) +
                         " (ip_addr VARBINARY(512) NOT NULL, timestamp BIGINT NULL,"
                         " PRIMARY KEY (ip_addr))");
    const Rows seeded = seed(config);
    const std::vector<std::string> keys = hostile_keys(config.table);
    const std::vector<std::string> stored = bind_each(config, keys, true);
    CHECK(stored.size() == keys.size());
    check_stored_verbatim(config, seeded, stored);
  }

  SECTION("the table relay-allow creates (VARCHAR(64), utf8mb4): stored verbatim or refused") {
    config.table = unique_table("hostile_std");
    exec_sql(config, create_table_sql(config.table));
    const Rows seeded = seed(config);
    const std::vector<std::string> keys = hostile_keys(config.table);
    const std::vector<std::string> stored = bind_each(config, keys, false);
    // Refused: the two 300-byte keys (too long) and the two that are not UTF-8; no other.
    CHECK(stored.size() == keys.size() - 4);
    check_stored_verbatim(config, seeded, stored);
  }
}

TEST_CASE("hostile keys: beneath the validation, the lookup's escaping keeps them data") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("hostile_lookup");
  exec_sql(config, "CREATE TABLE " + quoted_table(config.table) +
                       " (ip_addr VARBINARY(512) NOT NULL, timestamp BIGINT NULL,"
                       " PRIMARY KEY (ip_addr))");
  const Rows seeded = seed(config);
  const std::vector<std::string> keys = hostile_keys(config.table);
  LookupSession session(config);

  SECTION("not in the table: each finds nothing, and so do all of them in one IN (...)") {
    for (const std::string& key : keys) {
      INFO("key " << printable(key));
      CHECK(session.ask({key}).empty());
    }
    CHECK(session.ask(keys).empty());
    CHECK(session.ask({"10.1.1.1"}) == std::set<std::string>{"10.1.1.1"});
    CHECK(rows_of(config) == seeded);
  }

  SECTION("stored as data: each finds its own row, byte for byte, and no other") {
    REQUIRE(bind_each(config, keys, true).size() == keys.size());
    std::set<std::string> expected;
    for (const std::string& key : keys) {
      INFO("key " << printable(key));
      const std::set<std::string> found = session.ask({key});
      if (is_utf8(key)) {
        CHECK(found == std::set<std::string>{key});
        expected.insert(key);
      } else {
        // Not text in the connection's character set: the server may match it or not, but
        // never anything else.
        CHECK(found.size() <= 1);
        if (!found.empty()) CHECK(*found.begin() == key);
      }
    }
    std::set<std::string> all = session.ask(keys);
    for (const std::string& key : keys)
      if (!is_utf8(key)) all.erase(key);
    CHECK(all == expected);
    Rows rows = rows_of(config);
    CHECK(rows.size() == seeded.size() + keys.size());
    for (const auto& [ip, stamp] : seeded) CHECK(rows[ip] == stamp);
  }
}

// parse_ip6 once copied the text into a NUL-terminated buffer for inet_pton, so an IPv6
// text with a NUL inside was read up to the NUL: "::1\0junk" recorded ::1, and the helper
// answered `relay ::1\0junk` with ::1's row. Not reachable through tcpserver nor relay-allow,
// but the API beneath them must refuse it, as it refuses the same trick in IPv4 text.
TEST_CASE("hostile keys: an IPv6 address with a NUL inside is refused, not read up to the NUL") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("hostile_nul6");
  const Rows seeded = seed(config);
  const std::string key("::1\0' OR '1'='1", 15);
  auto admin = make_mysql_admin(config);
  CHECK_THROWS_WITH(admin->record(key, kNow), Catch::Contains("not an IP address"));
  EventLoop loop;
  auto lookup = make_mysql_login_lookup(loop.base(), config);
  CHECK(describe(login_now(loop, *lookup, key)) == "absent");
  CHECK(rows_of(config) == seeded);
}
