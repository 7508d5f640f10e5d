// What relay-import writes, given what the source holds and what the target store holds
// already: pure, so that the rules below are tested without a store.
//
// - A login stamped more than future_login_slack ahead of now is skipped: a wrong clock or a
//   forged entry, which would otherwise keep a newer real login from being imported later.
// - With an expiry window (relay-import -x), a login at least that old is skipped, as
//   relay-clear would remove it. Without one (the default) every login is imported.
// - An IP seen more than once keeps its newest login (the first of equal ones); the others
//   are skipped, naming it.
// - An IP whose entry in the target is as new or newer (or permanent) is left alone: rerunning
//   an import writes nothing, and no older time is ever written over a newer one.
// Target entries are compared by canonical address, so a MySQL row written by another tool as
// "::ffff:10.1.2.3" counts for 10.1.2.3.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "rules/roaming/roaming_store.h"
#include "tools/import_entries.h"

namespace ucspi {

struct ImportPolicy {
  std::int64_t now = 0;
  std::optional<std::int64_t> expiry_window;  // skip logins at least this many seconds old
};

struct ImportPlan {
  std::vector<ImportEntry> record;      // to write, sorted by IP
  std::vector<ImportEntry> up_to_date;  // the target has them, as new or newer
  std::vector<SkippedEntry> skipped;    // in the order found
};

ImportPlan plan_import(const std::vector<ImportEntry>& source,
                       const std::vector<RoamingEntry>& target, const ImportPolicy& policy);

}  // namespace ucspi
