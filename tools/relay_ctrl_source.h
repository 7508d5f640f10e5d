// A relay-ctrl directory ($RELAY_CTRL_DIR, e.g. /var/spool/relay-ctrl/allow) as relay-import
// reads it: relay-ctrl-allow renames a file named by the client's IP into it at each login,
// so the file's mtime is the login time (its content, USER= and DOMAIN=, is not imported).
// Names starting with '.' (relay-ctrl-allow's temp files, "." and "..") are no entries.
// Skipped with the reason: a name that is not one IP, and anything but a regular file. Names
// are read as addresses the way the other sources' are (import_entries.h), so relay-ctrl 2's
// "::ffff:10.1.2.3" becomes 10.1.2.3. Each entry's where is "" (its name says it all).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/import_entries.h"

namespace ucspi {

struct DirectoryFile {
  std::string name;
  bool regular = false;  // a regular file (symbolic links are not followed)
  std::int64_t mtime = 0;
};

SourceEntries parse_relay_ctrl_files(const std::vector<DirectoryFile>& files);

// The directory's files, sorted by name. Throws StoreError when it cannot be read.
std::vector<DirectoryFile> read_directory_files(const std::string& dir);

}  // namespace ucspi
