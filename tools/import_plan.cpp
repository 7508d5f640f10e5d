#include "tools/import_plan.h"

#include <algorithm>
#include <map>
#include <string>

#include "rules/base/ip_address.h"
#include "rules/roaming/roaming_time.h"

namespace ucspi {
namespace {

// The newest login the target holds per canonical address; nullopt = permanent.
using TargetTimes = std::map<std::string, std::optional<std::int64_t>>;

TargetTimes target_times(const std::vector<RoamingEntry>& target) {
  TargetTimes times;
  for (const RoamingEntry& entry : target) {
    std::optional<std::string> ip = canonical_ip_text(entry.ip);
    if (!ip) continue;  // no address: it cannot hold any entry we would write
    auto [it, added] = times.emplace(*ip, entry.last_login);
    if (!added && it->second && (!entry.last_login || *entry.last_login > *it->second))
      it->second = entry.last_login;
  }
  return times;
}

bool is_in_target(const TargetTimes& times, const ImportEntry& entry) {
  auto it = times.find(entry.ip);
  return it != times.end() && (!it->second || *it->second >= entry.last_login);
}

// The entry that loser gives way to, for its warning.
SkippedEntry superseded(const ImportEntry& loser, const ImportEntry& winner) {
  const std::string what =
      loser.last_login == winner.last_login ? "the same login as " : "an older login than ";
  const std::string other =
      winner.where.empty() ? "another entry for it" : "the one at " + winner.where;
  return {loser.where, loser.ip, what + other};
}

// Why this login is not imported whatever the target holds, or "".
std::string why_not(const ImportEntry& entry, const ImportPolicy& policy) {
  if (entry.last_login > policy.now + future_login_slack)
    return "stamped " + std::to_string(entry.last_login - policy.now) + " s in the future";
  if (policy.expiry_window && !within_window(entry.last_login, policy.now, *policy.expiry_window))
    return "expired (" + std::to_string(policy.now - entry.last_login) + " s old, window " +
           std::to_string(*policy.expiry_window) + " s)";
  return {};
}

}  // namespace

ImportPlan plan_import(const std::vector<ImportEntry>& source,
                       const std::vector<RoamingEntry>& target, const ImportPolicy& policy) {
  ImportPlan plan;
  std::map<std::string, ImportEntry> newest;
  for (const ImportEntry& entry : source) {
    if (std::string why = why_not(entry, policy); !why.empty()) {
      plan.skipped.push_back({entry.where, entry.ip, std::move(why)});
      continue;
    }
    auto [it, added] = newest.emplace(entry.ip, entry);
    if (added) continue;
    if (entry.last_login > it->second.last_login) {
      plan.skipped.push_back(superseded(it->second, entry));
      it->second = entry;
    } else {
      plan.skipped.push_back(superseded(entry, it->second));
    }
  }
  const TargetTimes times = target_times(target);
  for (auto& [ip, entry] : newest)
    (is_in_target(times, entry) ? plan.up_to_date : plan.record).push_back(std::move(entry));
  return plan;
}

}  // namespace ucspi
