// What relay-import reads from a source (vpopmail's open-smtp file, a relay-ctrl directory, a
// store's entries): logins to import, and what was skipped and why. The parsers of each format
// (open_smtp_source.h, relay_ctrl_source.h, store_entries_source.h) fill it through
// add_source_entry, so that every format names and canonicalises addresses the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

struct ImportEntry {
  std::string ip;           // canonical_ip_text
  std::int64_t last_login;  // Unix seconds, 1 or more
  std::string where;        // in the source, for messages: "line 3", "" for a store's entry
};

// One line of relay-import's warnings: "skipped SOURCE[ WHERE]: [TEXT: ]REASON".
struct SkippedEntry {
  std::string where;   // as ImportEntry::where
  std::string text;    // the address (or the line) as the source has it
  std::string reason;  // "a network, not a single address"
};

struct SourceEntries {
  std::vector<ImportEntry> entries;
  std::vector<SkippedEntry> skipped;
};

// Adds the login of address (as the source writes it) at last_login, found at where: the
// canonical address, or a skipped entry saying why there is none (a network such as "192.168."
// or "10.0.0.0/8", garbage) or why it is no login (a time of 0 or less: MySQL reads a CHAR
// timestamp that is not a number as 0). vpopmail's form of an IPv6 address, its ':' turned
// into '_' ("2001_db8__1"), is read as the address it stands for.
void add_source_entry(SourceEntries& out, std::string_view address, std::int64_t last_login,
                      std::string where);

}  // namespace ucspi
