// The fold of the roaming cdb store (roaming_cdb_store.h): the journal merged into a new
// base, the only way the store's own writers write the base.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "rules/base/unique_fd.h"
#include "rules/roaming/roaming_cdb_store.h"

namespace ucspi {

// The writers' exclusive flock of PATH.lock, waited for at most wait. Throws StoreError.
UniqueFd take_store_lock(const std::string& path, std::chrono::milliseconds wait);

// Folds, the lock held by the caller: first a PATH.journal.old a dead fold left, then
// PATH.journal, dropping the entries of cutoff or older when there is one (then the base is
// rewritten even with no journal). Throws StoreError.
FoldReport fold_journals(const std::string& path, mode_t new_file_mode,
                         std::optional<std::int64_t> cutoff);

// fold_cdb_journal with a cutoff: relay-clear's expire, which writes no journal record (see
// CdbAdmin::expire).
FoldReport fold_cdb_journal_expiring(const std::string& path, const CdbWriterOptions& options,
                                     std::int64_t cutoff);

// "PROG: warning: ..." on stderr for the damaged lines a fold skipped, if any.
void warn_damaged_lines(const std::string& path, const FoldReport& report);

// Starts a fold that outlives this process and holds none of its descriptors but stderr,
// and returns at once: relay-allow goes on to exec the login's program, whose child the fold
// must not be. A fold already running (the lock busy) makes it exit quietly; a failing one
// only warns on stderr. Nothing is reported back: the login never waits for a fold.
void start_background_fold(const std::string& path, mode_t new_file_mode);

}  // namespace ucspi
