// The full store factory: every store, MySQL included (so libmariadb and libevent come along).
#include <utility>

#include "mysql/mysql_store.h"
#include "roaming_cdb_store.h"
#include "relay_ctrl_store.h"
#include "store_spec.h"

namespace ucspi {

std::int64_t store_window(const StoreSpec& spec, std::optional<std::int64_t> requested) {
  if (requested) return *requested;
  if (spec.kind == StoreKind::mysql) return load_mysql_config(spec.path).time;
  return default_relay_window;
}

std::unique_ptr<RoamingLookup> open_lookup(const StoreSpec& spec, struct event_base* base,
                                           std::optional<std::int64_t> window) {
  switch (spec.kind) {
    case StoreKind::cdb: return make_cdb_lookup(spec.path, store_window(spec, window));
    case StoreKind::relay_ctrl:
      return make_relay_ctrl_lookup(spec.path, store_window(spec, window));
    case StoreKind::mysql: {
      MysqlConfig config = load_mysql_config(spec.path);
      return make_mysql_lookup(base, config, window.value_or(config.time));
    }
  }
  throw StoreError("unknown store kind");
}

std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) {
  if (spec.kind == StoreKind::mysql) return make_mysql_admin(load_mysql_config(spec.path));
  return open_local_admin(spec);
}

}  // namespace ucspi
