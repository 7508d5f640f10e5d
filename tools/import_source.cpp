#include "tools/import_source.h"

#include "rules/base/read_regular_file.h"
#include "tools/open_smtp_source.h"
#include "tools/relay_ctrl_source.h"
#include "tools/store_entries_source.h"

namespace ucspi {
namespace {

struct Prefix {
  std::string_view name;  // without its ':'
  SourceKind kind;
  StoreKind store_kind;
};

constexpr Prefix prefixes[] = {
    {"open-smtp", SourceKind::open_smtp, StoreKind::cdb},
    {"relay-ctrl", SourceKind::relay_ctrl, StoreKind::relay_ctrl},
    {"mysql", SourceKind::store, StoreKind::mysql},
    {"cdb", SourceKind::store, StoreKind::cdb},
};

std::string read_text(const std::string& path) {
  std::string text;
  if (std::string problem = read_regular_file(path, text); !problem.empty())
    throw StoreError("unable to read " + path + ": " + problem);
  return text;
}

}  // namespace

ImportSource parse_import_source(std::string_view text) {
  const std::string name(text);
  for (const Prefix& prefix : prefixes) {
    if (!text.starts_with(prefix.name) || text.substr(prefix.name.size(), 1) != ":") continue;
    std::string path(text.substr(prefix.name.size() + 1));
    if (path.empty()) throw StoreError("source " + name + " names no file");
    return {name, prefix.kind, std::move(path), prefix.store_kind};
  }
  throw StoreError("unknown source " + name +
                   " (expected open-smtp:FILE, relay-ctrl:DIR, mysql:CONFIGFILE or cdb:PATH)");
}

SourceEntries read_import_source(const ImportSource& source, ToolStores& stores) {
  switch (source.kind) {
    case SourceKind::open_smtp: return parse_open_smtp(read_text(source.path));
    case SourceKind::relay_ctrl: return parse_relay_ctrl_files(read_directory_files(source.path));
    case SourceKind::store: break;
  }
  return parse_store_entries(stores.open_admin(StoreSpec{source.store_kind, source.path})->list());
}

}  // namespace ucspi
