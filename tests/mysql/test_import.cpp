// relay-import with vpopmail's MySQL relay table, against the fixture's MariaDB: the table as
// a source (into a cdb store) and as the store (from vpopmail's open-smtp file). The program
// hands either to relay-mysql beside it.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "rules/base/read_regular_file.h"
#include "rules/roaming/store_factory.h"
#include "tests/mysql/db_support.h"
#include "tests/mysql/helper_process.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

const std::string fixtures = UCSPI_RELAY_IMPORT_FIXTURES;

// vpopmail's classic table, with rows as its vmysql.c writes them (`replace into relay (
// ip_addr, timestamp ) values ( '%s', %d )`) and a -S v2 netblock row (NULL timestamp).
MysqlConfig vpopmail_relay_table(const std::vector<std::string>& rows) {
  MysqlConfig config = fixture_config();
  config.table = unique_table("import");
  create_classic_table(config);
  std::vector<std::string> statements;
  for (const std::string& row : rows)
    statements.push_back("replace into `" + config.table + "` ( ip_addr, timestamp ) values " +
                         row);
  exec_sql(config, statements);
  return config;
}

// "IP SECONDS" per entry ("IP permanent" for NULL), sorted.
std::vector<std::string> entries_of(RoamingAdmin& admin) {
  std::vector<std::string> lines;
  for (const RoamingEntry& e : admin.list())
    lines.push_back(e.ip + ' ' + (e.last_login ? std::to_string(*e.last_login) : "permanent"));
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string file_bytes(const std::string& path) {
  std::string text;
  REQUIRE(read_regular_file(path, text).empty());
  return text;
}

std::string summary(const std::string& source, int imported, int total, int current, int skipped) {
  return "relay-import: imported " + std::to_string(imported) + " of " + std::to_string(total) +
         " logins from " + source + " (" + std::to_string(current) + " already in the store, " +
         std::to_string(skipped) + " skipped)\n";
}

}  // namespace

TEST_CASE("relay-import reads vpopmail's relay table into a cdb store, rerun writes nothing") {
  const MysqlConfig config = vpopmail_relay_table({
      "( '10.1.2.3', 1700000100 )",
      "( '2001_db8__25', 1700000220 )",  // vpopmail's form of 2001:db8::25
      "( '', 1700000280 )",              // and of ::1
      "( '192.168.', NULL )",            // a netblock that always relays
  });
  const std::string source = "mysql:" + write_config_file(config);
  const std::string cdb = unique_temp_path("import") + ".cdb";
  ProgramResult r = run_program({UCSPI_RELAY_IMPORT, "-s", "cdb:" + cdb, source});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "10.1.2.3 1700000100\n2001:db8::25 1700000220\n");
  // The rows come sorted by ip_addr.
  const std::string skipped = "relay-import: warning: skipped " + source + ": ";
  CHECK(r.err == skipped + "no address (vpopmail writes ::1 and other ::x addresses so)\n" +
                     skipped + "192.168.: permanent (no timestamp): not a login\n" +
                     summary(source, 2, 4, 0, 2));
  auto store = open_store_writer(parse_store_spec("cdb:" + cdb)).admin;
  CHECK(entries_of(*store) ==
        std::vector<std::string>{"10.1.2.3 1700000100", "2001:db8::25 1700000220"});

  const std::string before = file_bytes(cdb);
  r = run_program({UCSPI_RELAY_IMPORT, "-s", "cdb:" + cdb, source});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::EndsWith(summary(source, 0, 4, 2, 2)));
  CHECK(file_bytes(cdb) == before);
  ::unlink(cdb.c_str());
  ::unlink((cdb + ".lock").c_str());
}

TEST_CASE("relay-import writes open-smtp into vpopmail's relay table, never over a newer row") {
  const MysqlConfig config = vpopmail_relay_table({
      "( '10.1.2.3', 1700000999 )",    // newer than open-smtp's 1700000400: kept
      "( '192.0.2.44', 1700000100 )",  // older: replaced
      "( '192.168.', NULL )",          // permanent: untouched
  });
  const std::string store = "mysql:" + write_config_file(config);
  const std::string source = "open-smtp:" + fixtures + "/open-smtp";
  ProgramResult r = run_program({UCSPI_RELAY_IMPORT, "-s", store, source});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "192.0.2.44 1700000160\n198.51.100.7 1700000340\n2001:db8::25 1700000220\n");
  CHECK_THAT(r.err, Catch::EndsWith(summary(source, 3, 5, 1, 1)));
  auto admin = make_mysql_admin(config);
  const std::vector<std::string> rows = {"10.1.2.3 1700000999", "192.0.2.44 1700000160",
                                         "192.168. permanent", "198.51.100.7 1700000340",
                                         "2001:db8::25 1700000220"};
  CHECK(entries_of(*admin) == rows);

  r = run_program({UCSPI_RELAY_IMPORT, "-s", store, source});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::EndsWith(summary(source, 0, 5, 4, 1)));
  CHECK(entries_of(*admin) == rows);
}
