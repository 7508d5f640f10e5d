// bench_relay_allow [-n ENTRIES] [-c WRITERS] [-r RUNS] [-t SECONDS] [-d DIR] [-C RELAY_CLEAR]
//                   RELAY_ALLOW
// Latency of relay-allow against a cdb store that already holds ENTRIES (default 10,000) in
// order of time, as folds leave it: RUNS (default 1000) rounds, shared by WRITERS (default 1)
// concurrent writers, each round recording a new IP, refreshing a stale entry (older than the
// refresh interval: a journal record is appended) and refreshing a fresh one (nothing
// written), plus spawning /bin/true for the process overhead alone; each a real
// fork+exec+wait of the binary. Stops after SECONDS (default 120) whatever is left. Prints
// p50/p90/p99/max per kind, then checks the store: every login acknowledged (exit 0, nothing
// on stderr) must be there ("lost" counts those that are not), and relay-allow's warnings are
// counted. The background folds a long run starts (one per 256 KiB of journal) are part of what
// is measured.
// With -C, then relay-clear: 20 runs, each expiring the next 100 of 2,000 old entries at the
// start of the store, so that its cost can be compared across store sizes.
// DIR (default $TMPDIR or /tmp) decides the disk, which matters: every append fdatasyncs.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_view.h"
#include "tools/bench/bench_addresses.h"

namespace {

using Clock = std::chrono::steady_clock;
using ucspi::bench::bench_ip;

struct Options {
  long entries = 10'000;
  int writers = 1;
  long runs = 1000;
  int seconds = 120;
  std::string dir;
  std::string relay_clear;
  std::string relay_allow;
  long old_entries = 0;  // for relay-clear, at the start of the store
};

// With -C, old entries for relay-clear first; then stale and fresh ones alternating; bench_ip(n)
// for n at or past entries is a new IP. Each stale entry is refreshed once (then it is fresh):
// in a small store only the first rounds refresh one.
constexpr long clear_entries = 2000, clear_runs = 20, clear_batch = 100;

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bench_relay_allow [-n ENTRIES] [-c WRITERS] [-r RUNS] [-t SECONDS] "
               "[-d DIR] [-C RELAY_CLEAR] RELAY_ALLOW\n");
  std::exit(100);
}

Options parse(int argc, char** argv) {
  Options o;
  const char* tmp = std::getenv("TMPDIR");
  o.dir = tmp != nullptr ? tmp : "/tmp";
  for (int opt; (opt = ::getopt(argc, argv, "n:c:r:t:d:C:")) != -1;) {
    switch (opt) {
      case 'n': o.entries = std::atol(optarg); break;
      case 'c': o.writers = std::atoi(optarg); break;
      case 'r': o.runs = std::atol(optarg); break;
      case 't': o.seconds = std::atoi(optarg); break;
      case 'd': o.dir = optarg; break;
      case 'C': o.relay_clear = optarg; break;
      default: usage();
    }
  }
  if (optind + 1 != argc || o.writers < 1 || o.runs < 1 || o.seconds < 1 || o.entries < 2 ||
      o.entries > 100'000'000)
    usage();
  o.relay_allow = argv[optind];
  o.old_entries = o.relay_clear.empty() ? 0 : clear_entries;
  if (o.entries < o.old_entries + 2) usage();
  return o;
}

// One child run: its wall time, and whether it succeeded with a quiet stderr (relay-allow warns
// and still exits 0 when it could not record; that is a lost login here).
struct Run {
  double ms;
  bool clean;
};

Run run(const std::vector<std::string>& argv, const std::string& stderr_file) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char* env[] = {nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const auto start = Clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::fprintf(stderr, "bench_relay_allow: unable to run %s\n", argv[0].c_str());
    std::exit(111);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  struct stat st {};
  const bool quiet = ::stat(stderr_file.c_str(), &st) == 0 && st.st_size == 0;
  return Run{ms, WIFEXITED(status) && WEXITSTATUS(status) == 0 && quiet};
}

void report(const char* kind, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))]; };
  std::printf("%-32s n=%-6zu p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms\n", kind,
              ms.size(), at(0.50), at(0.90), at(0.99), ms.back());
}

// The store as a fold leaves it: in order of time. The relay-clear entries are the oldest.
void preload(const std::string& path, const Options& o, std::int64_t now) {
  ucspi::write_roaming_cdb(path, [&](const ucspi::AddEntry& add) {
    for (long n = 0; n < o.old_entries; ++n) add(bench_ip(n), now - 100'000 + n);
    for (long n = o.old_entries; n + 1 < o.entries; n += 2) add(bench_ip(n), now - 600);  // stale
    for (long n = o.old_entries + 1; n < o.entries; n += 2) add(bench_ip(n), now - 10);  // fresh
  });
}

struct Results {
  std::mutex mutex;
  std::vector<double> new_ip, stale, fresh, baseline;
  std::vector<long> acknowledged;  // IPs (as n) whose login relay-allow acknowledged
  long warned = 0;
};

void writer(const Options& o, const std::string& store, const std::string& dir, int w,
            std::atomic<long>& next_round, Clock::time_point deadline, Results& results) {
  const std::string err = dir + "/stderr." + std::to_string(w);
  const long pairs = (o.entries - o.old_entries) / 2;
  for (long i; (i = next_round++) < o.runs && Clock::now() < deadline;) {
    const long new_n = o.entries + i;
    const long stale_n = o.old_entries + 2 * (i % pairs);
    const bool still_stale = i < pairs;
    const Run a = run({o.relay_allow, "-s", store, "-i", bench_ip(new_n)}, err);
    const Run b = still_stale ? run({o.relay_allow, "-s", store, "-i", bench_ip(stale_n)}, err) : Run{0, true};
    const Run c = run({o.relay_allow, "-s", store, "-i", bench_ip(stale_n + 1)}, err);
    const Run d = run({"/bin/true"}, err);
    std::lock_guard lock(results.mutex);
    results.new_ip.push_back(a.ms);
    if (still_stale) results.stale.push_back(b.ms);
    results.fresh.push_back(c.ms);
    results.baseline.push_back(d.ms);
    results.warned += !a.clean + !b.clean + !c.clean;
    if (a.clean) results.acknowledged.push_back(new_n);
  }
}

// Every acknowledged new IP must be in the store, as a reader sees it.
long count_lost(const std::string& path, const std::vector<long>& acknowledged) {
  ucspi::RoamingView view(path, ucspi::CdbMapping::private_copy, true);
  if (view.refresh()) {
    std::fprintf(stderr, "bench_relay_allow: the store cannot be read after the run\n");
    std::exit(111);
  }
  long lost = 0;
  for (long n : acknowledged) {
    std::int64_t last_login = 0;
    if (view.find(bench_ip(n), last_login) != 1) ++lost;
  }
  return lost;
}

void bench_relay_clear(const Options& o, const std::string& store, const std::string& dir,
                       std::int64_t now) {
  std::vector<double> ms;
  for (long k = 0; k < clear_runs; ++k) {
    // Old entry n has time now - 100000 + n; this window expires entries up to (k+1)*batch-1.
    const std::int64_t cutoff = now - 100'000 + (k + 1) * clear_batch - 1;
    const std::int64_t window = std::time(nullptr) - cutoff;
    const Run r = run({o.relay_clear, "-s", store, "-w", std::to_string(window)}, dir + "/stderr.clear");
    if (!r.clean) {
      std::fprintf(stderr, "bench_relay_clear: relay-clear failed\n");
      std::exit(111);
    }
    ms.push_back(r.ms);
  }
  std::printf("relay-clear, %ld entries expired per run, %ld runs:\n", clear_batch, clear_runs);
  report("relay-clear", ms);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::string dir = o.dir + "/bench.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return 111;
  const std::string path = dir + "/roaming.cdb";
  const std::string store = "cdb:" + path;
  const std::int64_t now = std::time(nullptr);
  preload(path, o, now);

  Results results;
  std::atomic<long> next_round{0};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < o.writers; ++w)
    threads.emplace_back(writer, std::cref(o), std::cref(store), std::cref(dir), w,
                         std::ref(next_round), deadline, std::ref(results));
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::printf("store %s: %ld entries preloaded, %d writers, %zu rounds in %.1f s\n", path.c_str(),
              o.entries, o.writers, results.new_ip.size(), seconds);
  report("new IP (journal append)", results.new_ip);
  report("refresh, 600 s old (append)", results.stale);
  report("refresh, 10 s old (no write)", results.fresh);
  report("spawn /bin/true (process cost)", results.baseline);
  struct stat journal {};
  const bool has_journal = ::stat((path + ".journal").c_str(), &journal) == 0;
  std::printf("acknowledged new IPs %zu, lost %ld, runs with warnings %ld, journal now %lld bytes\n",
              results.acknowledged.size(), count_lost(path, results.acknowledged), results.warned,
              has_journal ? static_cast<long long>(journal.st_size) : 0LL);
  if (!o.relay_clear.empty()) bench_relay_clear(o, store, dir, now);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
