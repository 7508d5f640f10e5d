#include "tools/bench/tcpserver-bench/store_lookup_timing.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_cdb_fold.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_journal.h"
#include "rules/roaming/roaming_journal_file.h"
#include "tools/bench/bench_addresses.h"
#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

using Clock = std::chrono::steady_clock;

RelayAnswer ask(RoamingLookup& lookup, const std::string& ip, std::int64_t now) {
  RelayAnswer answer = RelayAnswer::unavailable;
  lookup.lookup(ip, now, [&](RelayVerdict verdict) { answer = verdict.answer; });
  return answer;
}

void must_relay(RoamingLookup& lookup, const std::string& ip, std::int64_t now, const char* when) {
  if (ask(lookup, ip, now) != RelayAnswer::relay)
    throw std::runtime_error("the store does not relay " + ip + " " + when);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A fold in a child process while this one keeps looking up and logging in (one login a
// millisecond, each fdatasync'ed): the longest lookup from the fold's start until 500 ms after
// it ended, the new base opened meanwhile.
double longest_lookup_during_fold(const std::string& path, RoamingLookup& lookup, long entries,
                                  std::int64_t now) {
  ChildProcess fold = ChildProcess::fork_function([&] { fold_cdb_journal(path); }, {});
  double longest = 0;
  long logins = 0;
  int status = 0;
  std::optional<Clock::time_point> ended;
  auto last_login = Clock::now();
  while (!ended || Clock::now() - *ended < std::chrono::milliseconds(500)) {
    if (!ended && fold.wait_for(std::chrono::milliseconds(0), status)) ended = Clock::now();
    if (Clock::now() - last_login >= std::chrono::milliseconds(1)) {
      const long n = entries + lookup_journal_logins + logins++;
      append_journal_record(path, encode_login(bench_ip(n), now), 0644);
      last_login = Clock::now();
    }
    const auto start = Clock::now();
    must_relay(lookup, bench_ip((logins * 7919) % entries), now, "during a fold");
    longest = std::max(longest, ms_since(start));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the fold of " + path + " failed");
  return longest;
}

}  // namespace

StoreLookupFigures time_store_lookup(const std::string& dir, long entries, long lookups) {
  const std::string path = dir + "/lookup." + std::to_string(entries) + ".cdb";
  const std::int64_t now = std::time(nullptr);
  write_roaming_cdb(path, [&](const AddEntry& add) {
    for (long n = 0; n < entries; ++n) add(bench_ip(n), now - 1000);
  });
  std::string journal;
  for (long n = 0; n < lookup_journal_logins; ++n) journal += encode_login(bench_ip(entries + n), now);
  for (std::size_t at = 0; at < journal.size(); at += 4096)
    append_journal_record(path, std::string_view(journal).substr(at, 4096), 0644);

  StoreLookupFigures f;
  f.entries = entries;
  f.lookups = lookups;
  auto lookup = make_cdb_lookup(path, 1800);
  must_relay(*lookup, bench_ip(0), now, "as built");
  // Every third asked IP unknown, the others spread over base and journal.
  const long known = entries + lookup_journal_logins;
  const auto start = Clock::now();
  for (long i = 0; i < lookups; ++i) {
    const long n = i % 3 == 2 ? known + i : (i * 7919) % known;
    f.relayed += ask(*lookup, bench_ip(n), now) == RelayAnswer::relay;
  }
  f.lookup_us = ms_since(start) * 1e3 / static_cast<double>(lookups);

  f.during_fold_ms = longest_lookup_during_fold(path, *lookup, entries, now);

  append_journal_record(path, encode_login(bench_ip(0), now), 0644);
  fold_cdb_journal(path);  // unseen: the next lookup maps and checks the new base itself
  const auto reload = Clock::now();
  must_relay(*lookup, bench_ip(0), now, "after a fold");
  f.after_unseen_fold_ms = ms_since(reload);
  lookup.reset();
  std::error_code ignored;
  for (const char* suffix : {"", ".journal", ".journal.old", ".lock", ".tmp"})
    std::filesystem::remove(path + suffix, ignored);
  return f;
}

}  // namespace ucspi::bench
