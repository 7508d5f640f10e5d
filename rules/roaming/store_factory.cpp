#include "rules/roaming/store_factory.h"

#include <cstdlib>
#include <utility>

#include "mysql/mysql_config.h"
#include "rules/roaming/relay_ctrl_store.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {
namespace {

// The program that holds the MySQL client: the helper tcpserver starts, and the tools' writer.
constexpr const char* mysql_program = "relay-mysql";

}  // namespace

std::int64_t store_window(const StoreSpec& spec, std::optional<std::int64_t> requested) {
  if (requested) return *requested;
  if (spec.kind == StoreKind::mysql)
    return load_mysql_config(spec.path).time.value_or(default_relay_window);
  return default_relay_window;
}

StoreReader open_store_reader(const StoreSpec& spec, std::optional<std::int64_t> requested) {
  StoreReader reader;
  reader.window = store_window(spec, requested);
  switch (spec.kind) {
    case StoreKind::cdb: reader.lookup = make_cdb_lookup(spec.path, reader.window); break;
    case StoreKind::relay_ctrl:
      reader.lookup = make_relay_ctrl_lookup(spec.path, reader.window);
      break;
    case StoreKind::mysql:
      load_mysql_config(spec.path);  // the helper reads it again; a bad one stops us here
      reader.helper = StoreProgram{mysql_program, {"serve", spec.path}};
      break;
  }
  return reader;
}

StoreWriter open_store_writer(const StoreSpec& spec) {
  StoreWriter writer;
  switch (spec.kind) {
    case StoreKind::cdb:
      writer.admin = make_cdb_admin(spec.path, {.refresh_interval = spec.refresh_interval,
                                                .new_file_mode = spec.new_file_mode});
      break;
    case StoreKind::relay_ctrl: {
      RelayCtrlOptions options;
      options.new_file_mode = spec.new_file_mode;
      options.refresh_interval = spec.refresh_interval;
      options.payload = relay_ctrl_payload(std::getenv("USER"), std::getenv("DOMAIN"));
      writer.admin = make_relay_ctrl_admin(spec.path, std::move(options));
      break;
    }
    case StoreKind::mysql: writer.program = mysql_program; break;
  }
  return writer;
}

}  // namespace ucspi
