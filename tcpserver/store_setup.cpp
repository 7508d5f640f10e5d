#include "store_setup.h"

#include "mysql/mysql_store.h"
#include "store_spec.h"

namespace ucspi {
namespace {

const char* kind_name(StoreKind kind) {
  switch (kind) {
    case StoreKind::cdb: return "cdb";
    case StoreKind::mysql: return "mysql";
    case StoreKind::relay_ctrl: return "relay-ctrl";
  }
  return "store";
}

}  // namespace

RoamingSetup open_roaming_store(const std::string& text, event_base* base,
                                std::optional<std::int64_t> requested, const Logger& log,
                                std::string& error) {
  RoamingSetup setup;
  try {
    StoreSpec spec = parse_store_spec(text);
    setup.name = kind_name(spec.kind);
    if (spec.kind == StoreKind::mysql) {
      // The database's outage lines go through our logger, so -q silences them too.
      MysqlConfig config = load_mysql_config(spec.path);
      auto sink = [&log](std::string_view line) { log.warn(std::string(line) + "\n"); };
      setup.lookup = make_mysql_lookup(base, config, requested.value_or(config.time), sink);
    } else {
      setup.lookup = open_lookup(spec, base, requested);
    }
  } catch (const StoreError& e) {
    error = std::string("unable to open roaming store: ") + e.what();
    setup.lookup.reset();
  }
  return setup;
}

}  // namespace ucspi
