// A roaming store's entries as relay-import reads them, when the source is a store its admin
// lists (RoamingAdmin::list): vpopmail's MySQL `relay` table (mysql:CONFIGFILE), or one of our
// cdb: stores. Skipped with the reason: a permanent entry (a NULL timestamp: the -S patch's
// netblock rows, which are no login and belong in tcp.smtp), and an address that is not one
// IP ("192.168." netblocks, garbage). vpopmail's "2001_db8__1" is read as 2001:db8::1
// (import_entries.h). Each entry's where is "". The MySQL admin's list() reads a CHAR timestamp
// that is not a number as 0, which is skipped as no login time.
#pragma once

#include <vector>

#include "rules/roaming/roaming_store.h"
#include "tools/import_entries.h"

namespace ucspi {

SourceEntries parse_store_entries(const std::vector<RoamingEntry>& entries);

}  // namespace ucspi
