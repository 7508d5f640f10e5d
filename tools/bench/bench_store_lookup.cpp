// bench_store_lookup [-d DIR] [-l LOOKUPS] [SIZES...]
// What one roaming lookup costs tcpserver's parent with the cdb store, over store sizes (default
// 10 1000 10000 100000 1000000 entries, in order of time as folds leave them, plus a journal
// of 2,000 logins): the lookup as tcpserver makes it (make_cdb_lookup: a stat of the journal
// and of the base, then the hash lookups), LOOKUPS (default 200,000) times over recorded and
// unknown IPs; the longest lookup while a fold runs in another process and logins go on, as
// on a busy server (a large new base is then opened on a thread: roaming_view.h); and the
// one-off cost of the first lookup after a fold it did not see under way, when the lookup maps
// the new base into a private copy and checks it whole before answering. Prints one line per
// size, and a CSV line per size on stdout after "csv:".
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_cdb_fold.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_journal.h"
#include "rules/roaming/roaming_journal_file.h"
#include "tools/bench/bench_addresses.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace ucspi;
using ucspi::bench::bench_ip;

constexpr long journal_logins = 2000;

RelayAnswer ask(RoamingLookup& lookup, const std::string& ip, std::int64_t now) {
  RelayAnswer answer = RelayAnswer::unavailable;
  lookup.lookup(ip, now, [&](RelayVerdict verdict) { answer = verdict.answer; });
  return answer;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Figures {
  double lookup_ns;
  double during_fold_ms;
  double reload_ms;
  long relayed;
};

// A fold in a child process while this one keeps looking up and logging in (one login a
// millisecond, each fdatasync'ed): the longest lookup from the fold's start until 500 ms after
// it ended, the new base opened meanwhile.
double longest_lookup_during_fold(const std::string& path, RoamingLookup& lookup, long entries,
                                  std::int64_t now) {
  const pid_t pid = ::fork();
  if (pid < 0) std::exit(111);
  if (pid == 0) {
    try {
      fold_cdb_journal(path);
    } catch (...) {
      _exit(111);
    }
    _exit(0);
  }
  double longest = 0;
  long logins = 0;
  int status = 0;
  std::optional<Clock::time_point> ended;
  auto last_login = Clock::now();
  while (!ended || Clock::now() - *ended < std::chrono::milliseconds(500)) {
    if (!ended && ::waitpid(pid, &status, WNOHANG) == pid) ended = Clock::now();
    if (Clock::now() - last_login >= std::chrono::milliseconds(1)) {
      append_journal_record(path, encode_login(bench_ip(entries + journal_logins + logins++), now),
                            0644);
      last_login = Clock::now();
    }
    const auto start = Clock::now();
    if (ask(lookup, bench_ip((logins * 7919) % entries), now) != RelayAnswer::relay) std::exit(111);
    longest = std::max(longest, ms_since(start));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(111);
  return longest;
}

Figures measure(const std::string& dir, long entries, long lookups) {
  const std::string path = dir + "/roaming." + std::to_string(entries) + ".cdb";
  const std::int64_t now = std::time(nullptr);
  write_roaming_cdb(path, [&](const AddEntry& add) {
    for (long n = 0; n < entries; ++n) add(bench_ip(n), now - 1000);
  });
  std::string journal;
  for (long n = 0; n < journal_logins; ++n) journal += encode_login(bench_ip(entries + n), now);
  for (std::size_t at = 0; at < journal.size(); at += 4096)
    append_journal_record(path, std::string_view(journal).substr(at, 4096), 0644);

  auto lookup = make_cdb_lookup(path, 1800);
  if (ask(*lookup, bench_ip(0), now) != RelayAnswer::relay) {
    std::fprintf(stderr, "bench_store_lookup: the store does not answer as built\n");
    std::exit(111);
  }
  // Every third asked IP unknown, the others spread over base and journal.
  const long known = entries + journal_logins;
  long relayed = 0;
  const auto start = Clock::now();
  for (long i = 0; i < lookups; ++i) {
    const long n = i % 3 == 2 ? known + i : (i * 7919) % known;
    relayed += ask(*lookup, bench_ip(n), now) == RelayAnswer::relay;
  }
  const double lookup_ns = ms_since(start) * 1e6 / static_cast<double>(lookups);

  const double during_fold_ms = longest_lookup_during_fold(path, *lookup, entries, now);

  append_journal_record(path, encode_login(bench_ip(0), now), 0644);
  fold_cdb_journal(path);  // unseen: the next lookup maps and checks the new base itself
  const auto reload = Clock::now();
  if (ask(*lookup, bench_ip(0), now) != RelayAnswer::relay) std::exit(111);
  const double reload_ms = ms_since(reload);
  std::error_code ignored;
  for (const char* suffix : {"", ".journal", ".lock"})
    std::filesystem::remove(path + suffix, ignored);
  return Figures{lookup_ns, during_fold_ms, reload_ms, relayed};
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr ? tmp : "/tmp";
  long lookups = 200'000;
  for (int opt; (opt = ::getopt(argc, argv, "d:l:")) != -1;) {
    if (opt == 'd') base = optarg;
    else if (opt == 'l') lookups = std::atol(optarg);
    else return 100;
  }
  std::vector<long> sizes;
  for (int i = optind; i < argc; ++i) sizes.push_back(std::atol(argv[i]));
  if (sizes.empty()) sizes = {10, 1000, 10'000, 100'000, 1'000'000};
  std::string dir = base + "/bench.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr || lookups < 3) return 111;
  std::vector<std::pair<long, Figures>> rows;
  for (long entries : sizes) {
    const Figures f = measure(dir, entries, lookups);
    rows.emplace_back(entries, f);
    std::printf("%8ld entries + %ld in the journal: lookup %6.0f ns (%ld of %ld relayed); "
                "longest during a fold %7.2f ms; first after an unseen fold %8.2f ms\n",
                entries, journal_logins, f.lookup_ns, f.relayed, lookups, f.during_fold_ms,
                f.reload_ms);
  }
  std::printf("csv:\nentries,lookup_ns,longest_during_fold_ms,first_after_unseen_fold_ms\n");
  for (const auto& [entries, f] : rows)
    std::printf("%ld,%.0f,%.3f,%.3f\n", entries, f.lookup_ns, f.during_fold_ms, f.reload_ms);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
