#include "tools/bench/tcpserver-bench/relay_allow_timing.h"

#include <atomic>
#include <ctime>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/store_factory.h"
#include "rules/roaming/store_spec.h"
#include "rules/roaming/roaming_view.h"
#include "tools/bench/bench_addresses.h"
#include "tools/bench/tcpserver-bench/timed_spawn.h"

namespace ucspi::bench {
namespace {

using Clock = std::chrono::steady_clock;

long old_entries(const RelayAllowPlan& plan) {
  return plan.with_clear_entries ? relay_clear_entries : 0;
}

// What the writers share: the next round to take, and what the rounds found.
struct Shared {
  std::atomic<long> next_round{0};
  std::mutex mutex;
  RelayAllowSamples samples;
  std::vector<long> acknowledged;  // the new IPs' n
  std::exception_ptr failure;
};

// After old_entries, stale and fresh entries alternate; bench_ip(n) for n at or past entries
// is a new IP.
void writer(const RelayAllowPlan& plan, const std::string& err, Clock::time_point deadline,
            Shared& shared) {
  const std::string store = "cdb:" + plan.path;
  const long old = old_entries(plan);
  const long pairs = (plan.entries - old) / 2;
  for (long i; (i = shared.next_round++) < plan.rounds && Clock::now() < deadline;) {
    const long new_n = plan.entries + i;
    const long stale_n = old + 2 * (i % pairs);
    const bool still_stale = i < pairs;
    const TimedRun a = timed_run({plan.relay_allow, "-s", store, "-i", bench_ip(new_n)}, err);
    const TimedRun b = still_stale
                           ? timed_run({plan.relay_allow, "-s", store, "-i", bench_ip(stale_n)}, err)
                           : TimedRun{0, true};
    const TimedRun c = timed_run({plan.relay_allow, "-s", store, "-i", bench_ip(stale_n + 1)}, err);
    const TimedRun d = timed_run({"/bin/true"}, err);
    const TimedRun e = timed_run({plan.noop}, err);
    std::lock_guard lock(shared.mutex);
    RelayAllowSamples& s = shared.samples;
    s.new_ip.push_back(a.ms);
    if (still_stale) s.stale.push_back(b.ms);
    s.fresh.push_back(c.ms);
    s.baseline.push_back(d.ms);
    s.noop.push_back(e.ms);
    s.warned += !a.clean + !b.clean + !c.clean + !e.clean;
    if (a.clean) shared.acknowledged.push_back(new_n);
  }
}

// relay-allow's work once started, timed in this process: its store opened and a new IP
// recorded, as relay_allow_main does. The new IPs follow the spawned rounds'. Alone in the
// process: a fold it starts forks this process, which no other thread may then share.
void time_in_process(const RelayAllowPlan& plan, RelayAllowSamples& s,
                     std::vector<long>& acknowledged) {
  const StoreSpec spec = parse_store_spec("cdb:" + plan.path);
  for (long i = 0; i < plan.rounds; ++i) {
    const long n = plan.entries + plan.rounds + i;
    const auto start = Clock::now();
    open_store_writer(spec).admin->record(bench_ip(n), std::time(nullptr));
    s.in_process.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    acknowledged.push_back(n);
  }
}

// Every acknowledged new IP must be in the store, as a reader sees it.
long count_lost(const std::string& path, const std::vector<long>& acknowledged) {
  RoamingView view(path, CdbMapping::private_copy, true);
  if (view.refresh()) throw std::runtime_error("the store " + path + " cannot be read after the run");
  long lost = 0;
  for (long n : acknowledged) {
    std::int64_t last_login = 0;
    if (view.find(bench_ip(n), last_login) != 1) ++lost;
  }
  return lost;
}

}  // namespace

void preload_store(const RelayAllowPlan& plan, std::int64_t now) {
  const long old = old_entries(plan);
  if (plan.entries < old + 2) throw std::logic_error("a store too small for its plan");
  write_roaming_cdb(plan.path, [&](const AddEntry& add) {
    for (long n = 0; n < old; ++n) add(bench_ip(n), now - 100'000 + n);
    for (long n = old; n + 1 < plan.entries; n += 2) add(bench_ip(n), now - 600);  // stale
    for (long n = old + 1; n < plan.entries; n += 2) add(bench_ip(n), now - 10);    // fresh
  });
}

RelayAllowSamples time_relay_allow(const RelayAllowPlan& plan, const std::string& dir) {
  Shared shared;
  const auto start = Clock::now();
  const auto deadline = start + plan.cap;
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < plan.writers; ++w)
      threads.emplace_back([&, w] {
        try {
          writer(plan, dir + "/stderr." + std::to_string(w), deadline, shared);
        } catch (...) {
          std::lock_guard lock(shared.mutex);
          shared.failure = std::current_exception();
          shared.next_round = plan.rounds;  // the others stop at their next round
        }
      });
  }
  if (shared.failure) std::rethrow_exception(shared.failure);
  RelayAllowSamples s = std::move(shared.samples);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (plan.writers == 1) time_in_process(plan, s, shared.acknowledged);
  s.acknowledged = static_cast<long>(shared.acknowledged.size());
  s.lost = count_lost(plan.path, shared.acknowledged);
  return s;
}

std::vector<double> time_relay_clear(const std::string& relay_clear, const RelayAllowPlan& plan,
                                     const std::string& dir, std::int64_t now) {
  if (!plan.with_clear_entries) throw std::logic_error("relay-clear wants its old entries");
  std::vector<double> ms;
  for (long k = 0; k < relay_clear_runs; ++k) {
    // Old entry n has time now - 100000 + n; this window expires entries up to (k+1)*batch-1.
    const std::int64_t cutoff = now - 100'000 + (k + 1) * relay_clear_batch - 1;
    const std::int64_t window = std::time(nullptr) - cutoff;
    const TimedRun r = timed_run({relay_clear, "-s", "cdb:" + plan.path, "-w", std::to_string(window)},
                                 dir + "/stderr.clear");
    if (!r.clean) throw std::runtime_error(relay_clear + " failed on " + plan.path);
    ms.push_back(r.ms);
  }
  return ms;
}

}  // namespace ucspi::bench
