// bench_relay_allow RELAY_ALLOW [DIR [RUNS]]
// Latency of relay-allow against a cdb store that already holds 10,000 entries: RUNS (default
// 1000) runs each of recording a new IP, refreshing a stale entry (older than the refresh
// interval: a journal record is appended) and refreshing a fresh one (nothing written), interleaved,
// each a real fork+exec+wait of the binary. Prints p50/p90/p99/max per kind, plus spawning
// /bin/true for the process overhead alone. DIR (default $TMPDIR or /tmp) decides the disk,
// which matters: every append fdatasyncs the journal (and every fold of it the base and the
// directory).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "rules/roaming/roaming_cdb_file.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int preloaded = 10'000;

std::string ip_of(int n) {
  return "10." + std::to_string(n >> 16 & 255) + "." + std::to_string(n >> 8 & 255) + "." +
         std::to_string(n & 255);
}

double run_ms(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char* env[] = {nullptr};
  const auto start = Clock::now();
  pid_t pid = 0;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), env) != 0) std::exit(111);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto elapsed = Clock::now() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_relay_allow: %s failed\n", argv[0].c_str());
    std::exit(111);
  }
  return std::chrono::duration<double, std::milli>(elapsed).count();
}

void report(const char* kind, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))]; };
  std::printf("%-34s n=%zu  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", kind, ms.size(),
              at(0.50), at(0.90), at(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_relay_allow RELAY_ALLOW [DIR [RUNS]]\n");
    return 100;
  }
  const std::string relay_allow = argv[1];
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(argc > 2 ? argv[2] : tmp != nullptr ? tmp : "/tmp") + "/bench.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return 111;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 1000;
  const std::string path = dir + "/roaming.cdb";
  const std::string store = "cdb:" + path;

  // Even entries logged in 10 minutes ago (a refresh rewrites), odd ones 10 s ago (it does not).
  const std::int64_t now = std::time(nullptr);
  ucspi::write_roaming_cdb(path, [&](const ucspi::AddEntry& add) {
    for (int n = 0; n < preloaded; ++n) add(ip_of(n), n % 2 == 0 ? now - 600 : now - 10);
  });

  std::vector<double> fresh_ip, stale, fresh, baseline;
  for (int i = 0; i < runs; ++i) {
    fresh_ip.push_back(run_ms({relay_allow, "-s", store, "-i", ip_of(preloaded + i)}));
    stale.push_back(run_ms({relay_allow, "-s", store, "-i", ip_of(2 * i)}));
    fresh.push_back(run_ms({relay_allow, "-s", store, "-i", ip_of(2 * i + 1)}));
    baseline.push_back(run_ms({"/bin/true"}));
  }
  std::printf("store %s, %d entries preloaded, %d runs each\n", path.c_str(), preloaded, runs);
  report("new IP (rewrite)", fresh_ip);
  report("refresh, entry 600 s old (rewrite)", stale);
  report("refresh, entry 10 s old (no write)", fresh);
  report("spawn /bin/true (process cost)", baseline);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
