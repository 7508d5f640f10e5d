// relay-import's source, as named on its command line, and reading it:
//   open-smtp:FILE      vpopmail's open-smtp file (open_smtp_source.h)
//   relay-ctrl:DIR      a relay-ctrl directory (relay_ctrl_source.h)
//   mysql:CONFIGFILE    vpopmail's MySQL `relay` table, through the -S config file
//   cdb:PATH            one of our cdb stores
// The last two are stores: read with their admin's list() (store_entries_source.h), opened
// through the tool's stores, so a mysql: source hands the run to relay-mysql like a mysql:
// target does (tool_stores.h).
#pragma once

#include <string>
#include <string_view>

#include "rules/roaming/store_spec.h"
#include "tools/import_entries.h"
#include "tools/tool_stores.h"

namespace ucspi {

enum class SourceKind { open_smtp, relay_ctrl, store };

struct ImportSource {
  std::string name;  // as given, for messages: "open-smtp:/home/vpopmail/etc/open-smtp"
  SourceKind kind = SourceKind::open_smtp;
  std::string path;
  StoreKind store_kind = StoreKind::cdb;  // SourceKind::store only
};

// Throws StoreError for a name that is none of the above.
ImportSource parse_import_source(std::string_view text);

// Throws StoreError when the source cannot be read.
SourceEntries read_import_source(const ImportSource& source, ToolStores& stores);

}  // namespace ucspi
