#include "rules/roaming/store_spec.h"

#include "rules/roaming/roaming_store.h"

namespace ucspi {
namespace {

struct Kind {
  std::string_view name;  // the prefix, without its ':'
  StoreKind kind;
};

constexpr Kind kinds[] = {
    {"cdb", StoreKind::cdb},
    {"mysql", StoreKind::mysql},
    {"relay-ctrl", StoreKind::relay_ctrl},
};

}  // namespace

StoreSpec parse_store_spec(std::string_view text) {
  for (const Kind& kind : kinds) {
    if (!text.starts_with(kind.name) || text.substr(kind.name.size(), 1) != ":") continue;
    std::string_view path = text.substr(kind.name.size() + 1);
    if (path.empty()) throw StoreError("store " + std::string(text) + " names no file");
    return StoreSpec{kind.kind, std::string(path)};
  }
  throw StoreError("unknown store " + std::string(text) +
                   " (expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR)");
}

std::string_view store_kind_name(StoreKind kind) {
  for (const Kind& k : kinds)
    if (k.kind == kind) return k.name;
  return "store";
}

}  // namespace ucspi
