// What one roaming lookup costs tcpserver's parent with the cdb store: the lookup as tcpserver
// makes it (make_cdb_lookup: a stat of the journal and of the base, then the hash lookups),
// the longest lookup while a fold runs in another process and logins go on, as on a busy
// server (a large new base is then opened on a thread: roaming_view.h), and the one-off cost
// of the first lookup after a fold it did not see under way (it maps the new base into a
// private copy and checks it whole before answering).
#pragma once

#include <string>

namespace ucspi::bench {

// The store's journal of logins beside its base, as between two folds.
inline constexpr long lookup_journal_logins = 2000;

struct StoreLookupFigures {
  long entries = 0;
  double lookup_us = 0;       // one lookup, the mean over lookups
  long lookups = 0;
  long relayed = 0;           // of them (two in three are recorded IPs)
  double during_fold_ms = 0;  // the longest, from the fold's start to 500 ms after its end
  double after_unseen_fold_ms = 0;
};

// Builds a store of entries (and the journal) in dir, measures, removes it. Throws
// std::runtime_error (StoreError) when the store cannot be made or answers wrong.
StoreLookupFigures time_store_lookup(const std::string& dir, long entries, long lookups);

}  // namespace ucspi::bench
