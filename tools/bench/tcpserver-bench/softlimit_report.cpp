#include "tools/bench/tcpserver-bench/softlimit_report.h"

#include <cstdio>

#include "tools/bench/tcpserver-bench/csv_out.h"

namespace ucspi::bench {
namespace {

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string floor_text(const SoftlimitRow& r) {
  return r.floor ? std::to_string(*r.floor) : ">" + std::to_string(softlimit_high);
}

const SoftlimitRow* find(const SoftlimitResult& result, const std::string& store,
                         const std::string& server) {
  for (const SoftlimitRow& r : result.rows)
    if (r.store == store && r.server == server) return &r;
  return nullptr;
}

}  // namespace

std::string format_softlimit_table(const SoftlimitResult& result) {
  std::string out = format(
      "\nscenario softlimit: the lowest softlimit -m (RLIMIT_DATA, STACK, MEMLOCK and AS) under "
      "which tcpserver -1 -R -H -l bench -c %u -b 256 -x rules.cdb [-s STORE] serves %u "
      "connections at once, each answered by its child (a static program; RELAYCLIENT from the "
      "store, 127.0.0.1 recorded in it first); bisection from %lu to %lu bytes to %lu; then each "
      "parent's VmSize and VmRSS with no limit, at start and with the %u connections open\n",
      softlimit_connections + 10, softlimit_connections, softlimit_low, softlimit_high,
      result.step, softlimit_connections, softlimit_connections);
  const std::string open = "+" + std::to_string(softlimit_connections);
  out += format("%-11s %-6s %11s %13s %12s %13s %12s\n", "store", "server", "lowest -m",
                "VmSize start", "VmRSS start", ("VmSize " + open).c_str(), ("VmRSS " + open).c_str());
  for (const SoftlimitRow& r : result.rows)
    out += format("%-11s %-6s %11s %10ld kB %9ld kB %10ld kB %9ld kB\n", r.store.c_str(),
                  r.server.c_str(), floor_text(r).c_str(), r.start.vmsize_kib, r.start.rss_kib,
                  r.loaded.vmsize_kib, r.loaded.rss_kib);
  return out;
}

std::string format_softlimit_goal(const SoftlimitResult& result) {
  const std::string what = "tcpserver's lowest softlimit -m with rules, no store, <= djb's";
  const SoftlimitRow* ours = find(result, "none", "ours");
  const SoftlimitRow* djb = find(result, "none", "djb");
  if (!ours || !djb) return "goal: " + what + ": not measured (store none)\n";
  if (!ours->floor || !djb->floor)
    return "goal: " + what + ": " + floor_text(*ours) + " against " + floor_text(*djb) + "  " +
           (ours->floor ? "met" : "MISSED") + "\n";
  const double ratio = static_cast<double>(*ours->floor) / static_cast<double>(*djb->floor);
  return format("goal: %s: %.2fx (%lu against %lu bytes)  %s\n", what.c_str(), ratio, *ours->floor,
                *djb->floor, *ours->floor <= *djb->floor ? "met" : "MISSED");
}

std::string write_softlimit_csv(const std::string& dir, const SoftlimitResult& result) {
  std::string text =
      "store,server,lowest_m,step,connections,vmsize_start_kib,vmrss_start_kib,vmsize_open_kib,"
      "vmrss_open_kib\n";
  for (const SoftlimitRow& r : result.rows)
    text += r.store + "," + r.server + "," + (r.floor ? std::to_string(*r.floor) : "") + "," +
            format("%lu,%u,%ld,%ld,%ld,%ld\n", result.step, softlimit_connections,
                   r.start.vmsize_kib, r.start.rss_kib, r.loaded.vmsize_kib, r.loaded.rss_kib);
  const std::string path = scenario_csv_path(dir, "softlimit");
  write_file(path, text);
  return path;
}

}  // namespace ucspi::bench
