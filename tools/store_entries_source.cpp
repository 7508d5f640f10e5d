#include "tools/store_entries_source.h"

namespace ucspi {

SourceEntries parse_store_entries(const std::vector<RoamingEntry>& entries) {
  SourceEntries out;
  for (const RoamingEntry& entry : entries) {
    if (entry.last_login)
      add_source_entry(out, entry.ip, *entry.last_login, "");
    else
      out.skipped.push_back({"", entry.ip, "permanent (no timestamp): not a login"});
  }
  return out;
}

}  // namespace ucspi
