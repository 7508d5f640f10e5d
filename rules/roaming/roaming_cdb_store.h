// The embedded roaming store: one cdb file of its own (format in roaming_cdb_file.h), read
// by tcpserver without any server, written by relay-allow / relay-clear.
//
// Readers answer at once from the mapped file and remap it only when the path names another
// file (rename-replaced). A missing or unreadable file, a file that is not a roaming cdb, or a
// corrupt record answers unavailable with the reason (never relay). For the tools a missing
// file is an empty store: the first login creates it.
//
// Writers serialise on an flock of the sibling file PATH.lock (created 0644 if missing, waited
// for at most lock_wait, then StoreError), re-read the current file under the lock, write PATH.tmp,
// fsync, rename over PATH and fsync the directory, so concurrent writers lose nothing and a
// crash leaves the old or the new file. A login whose entry is younger than refresh_interval
// rewrites nothing (checked before and again under the lock). record() never drops other
// entries, even expired ones: run relay-clear from cron to keep the file small.
// A rewritten file keeps the mode and owner of the one it replaces (see AtomicFile); the first
// one gets new_file_mode, whatever the umask.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_store.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {

struct CdbWriterOptions {
  std::chrono::milliseconds lock_wait{5000};
  std::int64_t refresh_interval = default_refresh_interval;
  mode_t new_file_mode = default_store_file_mode;
};

std::unique_ptr<RoamingLookup> make_cdb_lookup(std::string path, std::int64_t window);
std::unique_ptr<RoamingAdmin> make_cdb_admin(std::string path, CdbWriterOptions options = {});

}  // namespace ucspi
