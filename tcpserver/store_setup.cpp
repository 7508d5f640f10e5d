#include "store_setup.h"

#include "helper_lookup.h"
#include "mysql/mysql_config.h"
#include "relay_ctrl_store.h"
#include "roaming_cdb_store.h"
#include "sibling_program.h"
#include "store_spec.h"

namespace ucspi {
namespace {

constexpr const char* mysql_helper = "relay-mysql";

const char* kind_name(StoreKind kind) {
  switch (kind) {
    case StoreKind::cdb: return "cdb";
    case StoreKind::mysql: return "mysql";
    case StoreKind::relay_ctrl: return "relay-ctrl";
  }
  return "store";
}

std::unique_ptr<RoamingLookup> mysql_lookup(const StoreSpec& spec, event_base* base,
                                            std::optional<std::int64_t> window, const Logger& log,
                                            ChildRegistry& children) {
  // Read here (after -u/-g, as the helper will read it) so that a missing or wrong file stops
  // tcpserver at startup instead of failing every lookup.
  const MysqlConfig config = load_mysql_config(spec.path);
  HelperCommand command{{sibling_program(mysql_helper), "serve", spec.path}, mysql_helper};
  return make_helper_lookup(base, children, log, std::move(command), window.value_or(config.time));
}

}  // namespace

RoamingSetup open_roaming_store(const std::string& text, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                ChildRegistry& children) {
  const StoreSpec spec = parse_store_spec(text);
  RoamingSetup setup;
  setup.kind = kind_name(spec.kind);
  setup.label = text;
  const std::int64_t local_window = window.value_or(default_relay_window);
  switch (spec.kind) {
    case StoreKind::cdb: setup.lookup = make_cdb_lookup(spec.path, local_window); break;
    case StoreKind::relay_ctrl: setup.lookup = make_relay_ctrl_lookup(spec.path, local_window); break;
    case StoreKind::mysql: setup.lookup = mysql_lookup(spec, base, window, log, children); break;
  }
  return setup;
}

}  // namespace ucspi
