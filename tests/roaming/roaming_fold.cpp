// roaming_fold PATH: folds the cdb store's journal into its base now, as relay-allow's
// background fold does (fold_cdb_journal, under the writers' lock). The tests' way to run the
// fold by itself, to kill it at random moments or to leave a store with an empty journal.
// 0 done, 100 usage, 111 the fold failed (the message on stderr).
#include <cstdio>

#include "rules/roaming/roaming_cdb_fold.h"
#include "rules/roaming/roaming_cdb_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: roaming_fold PATH\n", stderr);
    return 100;
  }
  try {
    ucspi::warn_damaged_lines(argv[1], ucspi::fold_cdb_journal(argv[1]));
  } catch (const ucspi::StoreError& e) {
    std::fprintf(stderr, "roaming_fold: fatal: %s\n", e.what());
    return 111;
  }
  return 0;
}
