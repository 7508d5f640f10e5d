#include "store_spec.h"

#include <cstdlib>
#include <utility>

#include "mysql/mysql_store.h"
#include "relay_ctrl_store.h"
#include "roaming_cdb_store.h"

namespace ucspi {
namespace {

struct Prefix {
  std::string_view text;
  StoreKind kind;
};

constexpr Prefix prefixes[] = {
    {"cdb:", StoreKind::cdb},
    {"mysql:", StoreKind::mysql},
    {"relay-ctrl:", StoreKind::relay_ctrl},
};

}  // namespace

StoreSpec parse_store_spec(std::string_view text) {
  for (const Prefix& prefix : prefixes) {
    if (!text.starts_with(prefix.text)) continue;
    std::string_view path = text.substr(prefix.text.size());
    if (path.empty()) throw StoreError("store " + std::string(text) + " names no file");
    return StoreSpec{prefix.kind, std::string(path)};
  }
  throw StoreError("unknown store " + std::string(text) +
                   " (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)");
}

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
  switch (spec.kind) {
    case StoreKind::cdb: return make_cdb_admin(spec.path);
    case StoreKind::relay_ctrl: {
      RelayCtrlOptions options;
      options.payload = relay_ctrl_payload(std::getenv("USER"), std::getenv("DOMAIN"));
      return make_relay_ctrl_admin(spec.path, std::move(options));
    }
    case StoreKind::mysql: return make_mysql_admin(load_mysql_config(spec.path));
  }
  throw StoreError("unknown store kind");
}

}  // namespace ucspi
