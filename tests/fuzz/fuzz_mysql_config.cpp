// The -S config file parser (load_mysql_config, mysql/mysql_config.h) over arbitrary bytes
// in a memfd. A StoreError is an expected outcome, and must name the file. Properties of a
// file it accepts: values as the header allows (port 1..65535, a plain table name, a positive
// time, user and pass given), no value holding a separator, and the configuration written
// back in the classic format reads to the same configuration.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mysql/mysql_config.h"
#include "mysql/mysql_sql.h"
#include "rules/roaming/roaming_store.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

std::optional<MysqlConfig> load(const fuzz::MemFile& file) {
  try {
    return load_mysql_config(file.path());
  } catch (const StoreError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with(file.path() + ": "));
    return std::nullopt;
  }
}

bool one_word(const std::string& value) {
  return !value.empty() && value.find_first_of(" \t\r\f\v\n") == std::string::npos &&
         value[0] != '#';
}

std::string written(const MysqlConfig& c) {
  std::string text = "server " + c.server + "\nport " + std::to_string(c.port) + "\ndatabase " +
                     c.database + "\ntable " + c.table + "\nuser " + c.user + "\npass " + c.pass +
                     "\n";
  if (!c.socket.empty()) text += "socket " + c.socket + "\n";
  if (c.time) text += "time " + std::to_string(*c.time) + "\n";
  return text;
}

bool same(const MysqlConfig& a, const MysqlConfig& b) {
  return a.server == b.server && a.port == b.port && a.socket == b.socket &&
         a.database == b.database && a.table == b.table && a.user == b.user && a.pass == b.pass &&
         a.time == b.time && a.connect_timeout_ms == b.connect_timeout_ms &&
         a.query_timeout_ms == b.query_timeout_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static fuzz::MemFile file("sql");
  file.assign(fuzz::bytes_of(bytes, size));
  const std::optional<MysqlConfig> config = load(file);
  if (!config) return 0;

  FUZZ_CHECK(config->port >= 1 && config->port <= 65535);
  FUZZ_CHECK(valid_table_name(config->table));
  FUZZ_CHECK(!config->time || *config->time > 0);
  for (const std::string* value : {&config->server, &config->database, &config->table,
                                   &config->user, &config->pass})
    FUZZ_CHECK(one_word(*value));
  FUZZ_CHECK(config->socket.empty() || one_word(config->socket));

  file.assign(written(*config));
  const std::optional<MysqlConfig> again = load(file);
  FUZZ_CHECK(again && same(*again, *config));
  return 0;
}
