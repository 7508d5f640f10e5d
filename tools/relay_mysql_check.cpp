// relay-mysql check CONFIGFILE
// Reports whether the table's ip_addr column can hold every address (longest_ip_text: 45
// characters). vpopmail's char(18) cannot: a long IPv6 address is refused by relay-allow and
// by the lookup until the column is widened, so the fix is printed after the first line as
// SQL statements, one a line (`relay-mysql check CONF | tail -n +2 | mariadb vpopmail`).
// Exit 0: fine, or no table yet (relay-allow creates it VARCHAR(64)); 1: needs the ALTER TABLE;
// 100: usage; 111: the config or the database failed.
#include <unistd.h>

#include <optional>
#include <string>

#include "rules/base/messages.h"
#include "mysql/mysql_sql.h"
#include "mysql/mysql_store.h"
#include "tools/relay_mysql_modes.h"
#include "rules/base/write_all.h"

namespace ucspi {

namespace {

void print(const std::string& text) {
  if (int err = write_all(1, text); err != 0)
    die_sys(err, {"relay-mysql: fatal: unable to write output"});
}

}  // namespace

int relay_mysql_check_main(int argc, char** argv) {
  if (argc != 2) die(100, {"relay-mysql: usage: relay-mysql check CONFIGFILE"});
  MysqlConfig config;
  std::optional<IpColumn> column;
  try {
    config = load_mysql_config(argv[1]);
    column = read_mysql_ip_column(config);
  } catch (const StoreError& e) {
    die(111, {"relay-mysql: fatal: ", e.what()});
  }
  const std::string table = quoted_table(config.table);
  if (!column) {
    print("table " + table + " does not exist yet: relay-allow creates it with ip_addr " +
          "VARCHAR(64), which holds every address\n");
    return 0;
  }
  if (holds_every_address(*column)) {
    print("table " + table + " column ip_addr is " + column->type + ": holds every address\n");
    return 0;
  }
  std::string fix = widen_ip_column_sql(config.table) + ";\n";
  if (column->width) fix += drop_cut_rows_sql(config.table, *column) + ";\n";
  print(narrow_ip_column_text(config.table, *column) + "\n" + fix);
  return 1;
}

}  // namespace ucspi
