// The embedded roaming store: one cdb file of its own, the base (format in
// roaming_cdb_file.h), with a journal of the logins since it was written beside it
// (PATH.journal, roaming_journal.h and roaming_journal_file.h); read by tcpserver without any
// server, written by relay-allow / relay-clear.
//
// Readers see the base through PATH.journal.old and PATH.journal (roaming_view.h). They keep
// what they have read, and per lookup stat the journal (reading only what was appended) and
// the base (remapped only when the path names another file). A missing or unreadable base, a
// file that is not a roaming cdb, or a corrupt record answers unavailable with the reason
// (never relay); so does a journal that cannot be read, while its damaged lines (a power cut's
// torn tail) are skipped. For the tools a missing base is an empty store.
//
// A login appends one record to the journal without any lock (one write and fdatasync, so a
// login costs the same at 10 entries or 10^6), unless the IP's entry is younger than
// refresh_interval: then nothing is written. A fold merges the journal into a new base: under
// the exclusive flock of PATH.lock (created 0644 if missing, waited for at most lock_wait,
// then StoreError) it renames PATH.journal to PATH.journal.old, writes the new base (PATH.tmp,
// fsync, rename, fsync of the directory), then removes PATH.journal.old. A fold that died is
// finished by the next one. relay-allow starts one in the background, detached, when the
// journal outgrows fold_threshold; the very first login folds at once, so that the base
// readers require exists. A fold writes the base in order of time, so expire() (relay-clear)
// reads only the entries it expires, and appends one expire record; it folds only when it may
// not write the journal, or the journal has outgrown fold_threshold.
// record() never drops other entries, even expired ones: run relay-clear from cron.
// The base and the journal keep the mode and owner of the base they replace or sit beside
// (see AtomicFile); the first ones get new_file_mode, whatever the umask.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_store.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {

// A journal this long is folded into the base. Every relay-allow reads the whole journal
// for its "recorded lately?" check, and tcpserver reads it again after each fold, so it must
// stay small; a fold rewrites the whole base (about 100 ms at 10^6 entries) in the
// background, so it must not run for every few logins. 256 KiB is about 5,000 logins: a few
// milliseconds of parsing at worst, and one fold per 5,000 logins.
inline constexpr std::uint64_t default_fold_threshold = 256 * 1024;

struct CdbWriterOptions {
  std::chrono::milliseconds lock_wait{5000};
  std::int64_t refresh_interval = default_refresh_interval;
  mode_t new_file_mode = default_store_file_mode;
  std::uint64_t fold_threshold = default_fold_threshold;  // bytes of journal
};

std::unique_ptr<RoamingLookup> make_cdb_lookup(std::string path, std::int64_t window);
std::unique_ptr<RoamingAdmin> make_cdb_admin(std::string path, CdbWriterOptions options = {});

struct FoldReport {
  bool folded = false;              // a journal (or a dead fold's old one) went into the base
  std::uint64_t damaged_lines = 0;  // lines of it that were no record, skipped
};

// Folds the journal into the base now, waiting for the lock at most options.lock_wait; for
// the tools that need the base up to date, and tests. Throws StoreError.
FoldReport fold_cdb_journal(const std::string& path, const CdbWriterOptions& options = {});

}  // namespace ucspi
