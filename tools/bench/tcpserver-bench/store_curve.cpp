#include "tools/bench/tcpserver-bench/store_curve.h"

#include <ctime>
#include <filesystem>

namespace ucspi::bench {
namespace {

// A store's files: the base, its journal, what a fold leaves or takes.
void remove_store(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", ".journal", ".journal.old", ".lock", ".tmp"})
    std::filesystem::remove(path + suffix, ignored);
}

RelayAllowPlan relay_allow_plan(const StoreCurvePlan& plan, const std::string& dir, long entries,
                                int writers) {
  RelayAllowPlan p;
  p.relay_allow = plan.relay_allow;
  p.noop = plan.noop;
  p.path = dir + "/roaming." + std::to_string(entries) + ".cdb";
  p.entries = entries;
  p.with_clear_entries = entries >= 2 * relay_clear_entries;
  p.writers = writers;
  p.rounds = plan.rounds;
  p.cap = plan.cap;
  return p;
}

StoreCurveLevel measure_size(const StoreCurvePlan& plan, const std::string& dir, long entries) {
  StoreCurveLevel level;
  level.entries = entries;
  const RelayAllowPlan p = relay_allow_plan(plan, dir, entries, 1);
  const std::int64_t now = std::time(nullptr);
  preload_store(p, now);
  level.relay_allow = time_relay_allow(p, dir);
  // After the rounds, as an admin's cron finds the store: with their journal.
  if (p.with_clear_entries) level.relay_clear = time_relay_clear(plan.relay_clear, p, dir, now);
  remove_store(p.path);
  level.lookup = time_store_lookup(dir, entries, plan.lookups);
  return level;
}

}  // namespace

StoreCurveResult measure_store_curve(const StoreCurvePlan& plan, const std::string& workdir,
                                     void (*report)(const std::string&)) {
  const std::string dir = workdir + "/store-curve";
  std::filesystem::create_directories(dir);
  StoreCurveResult result;
  for (unsigned long size : plan.sizes) {
    report("store curve: " + std::to_string(size) + " entries\n");
    result.levels.push_back(measure_size(plan, dir, static_cast<long>(size)));
  }
  result.writers_entries = static_cast<long>(plan.sizes.back());
  result.writers = plan.writers;
  report("store curve: " + std::to_string(plan.writers) + " writers at once on " +
         std::to_string(result.writers_entries) + " entries\n");
  const RelayAllowPlan p = relay_allow_plan(plan, dir, result.writers_entries, plan.writers);
  preload_store(p, std::time(nullptr));
  result.concurrent = time_relay_allow(p, dir);
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace ucspi::bench
