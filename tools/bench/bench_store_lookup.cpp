// bench_store_lookup [-d DIR] [-l LOOKUPS] [SIZES...]
// What one roaming lookup costs tcpserver's parent with the cdb store, over store sizes (default
// 10 1000 10000 100000 1000000 entries, in order of time as folds leave them, plus a journal
// of 2,000 logins): the lookup as tcpserver makes it (make_cdb_lookup: a stat of the journal
// and of the base, then the hash lookups), LOOKUPS (default 200,000) times over recorded and
// unknown IPs; and the one-off cost after a fold replaced the base, when the lookup maps the
// new base into a private copy and checks it whole. Prints one line per size, and a CSV line
// per size on stdout after "csv:".
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
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
  double reload_ms;
  long relayed;
};

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

  fold_cdb_journal(path);  // the base replaced: the next lookup maps and checks the new one
  const auto reload = Clock::now();
  if (ask(*lookup, bench_ip(0), now) != RelayAnswer::relay) std::exit(111);
  const double reload_ms = ms_since(reload);
  std::error_code ignored;
  for (const char* suffix : {"", ".journal", ".lock"})
    std::filesystem::remove(path + suffix, ignored);
  return Figures{lookup_ns, reload_ms, relayed};
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
                "first lookup after a fold %8.2f ms\n",
                entries, journal_logins, f.lookup_ns, f.relayed, lookups, f.reload_ms);
  }
  std::printf("csv:\nentries,lookup_ns,reload_after_fold_ms\n");
  for (const auto& [entries, f] : rows) std::printf("%ld,%.0f,%.3f\n", entries, f.lookup_ns, f.reload_ms);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
