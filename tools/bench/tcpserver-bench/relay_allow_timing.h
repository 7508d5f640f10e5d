// relay-allow and relay-clear timed for real (posix_spawn, exec, wait of the installed tools)
// against a cdb store preloaded in order of time, as folds leave it; then the store read back
// to count the acknowledged logins that are not in it. The store curve runs these at each
// size, once with one writer and once with many at the largest.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ucspi::bench {

// With relay-clear, 2,000 entries older than anything else start the store: 20 runs each
// expire the next 100 of them, so that its cost compares across sizes. Only in stores of
// twice that or more, where the others still make up the rounds' stale and fresh entries.
inline constexpr long relay_clear_entries = 2000;
inline constexpr long relay_clear_runs = 20;
inline constexpr long relay_clear_batch = 100;

struct RelayAllowPlan {
  std::string relay_allow;
  std::string noop;  // the cheapest process (noop.cpp)
  std::string path;  // the store's base; the store is cdb:path
  long entries = 0;
  bool with_clear_entries = false;  // relay_clear_entries of old entries at the start
  int writers = 1;
  long rounds = 1000;               // shared by the writers
  std::chrono::seconds cap{120};    // whatever rounds are left then are not run
};

// Each round: a new IP (a journal append), an entry 600 s old (an append; each is refreshed
// once, so in a small store only the first rounds have one), one 10 s old (nothing written),
// then /bin/true (a dynamic program: the price of a process as most are) and the static no-op
// (the cheapest process: what relay-allow, static too, could cost at best), in the same round
// so that a slow moment of the machine hits them all. With one writer, then as many rounds of
// what relay-allow does once started, in this process: open the store, record a new IP
// (the journal line and its fdatasync), close it -- the store's part of a login.
struct RelayAllowSamples {
  std::vector<double> new_ip, stale, fresh, baseline, noop;  // ms
  std::vector<double> in_process;                            // ms; one writer only
  long acknowledged = 0;  // new IPs relay-allow said it recorded
  long lost = 0;          // of those, not in the store afterwards
  long warned = 0;        // relay-allow runs that failed or wrote to stderr
  double seconds = 0;     // the rounds' wall time
};

// Writes the store. Throws StoreError.
void preload_store(const RelayAllowPlan& plan, std::int64_t now);

// Throws std::runtime_error when a program cannot be run or the store cannot be read after.
RelayAllowSamples time_relay_allow(const RelayAllowPlan& plan, const std::string& dir);

// relay_clear_runs runs of relay-clear on a store preloaded with_clear_entries at now, each
// expiring relay_clear_batch more. Throws std::runtime_error when one fails.
std::vector<double> time_relay_clear(const std::string& relay_clear, const RelayAllowPlan& plan,
                                     const std::string& dir, std::int64_t now);

}  // namespace ucspi::bench
