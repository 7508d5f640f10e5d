#include "tools/bench/tcpserver-bench/tcprules_report.h"

#include <cstdio>

namespace ucspi::bench {
namespace {

constexpr double goal_time = 1.0;

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string side_row(unsigned long lines, const std::string& label, const TcprulesSide& s,
                     unsigned long errors) {
  return format("%9lu  %-6s %11.2f %10ld %7lu\n", lines, label.c_str(), s.wall_ms, s.rss_kib, errors);
}

}  // namespace

std::string format_tcprules_table(const TcprulesResult& r, unsigned rounds) {
  std::string out = "\nscenario tcprules: " + r.a_label + " vs " + r.b_label +
                    "; compiling generated rules files (the mix of a big site's tcp.smtp)\n";
  out += format("median of %u rounds (alternating, order flipped each round); wall time and "
                "ru_maxrss of tcprules itself\n",
                rounds);
  out += format("%9s  %-6s %11s %10s %7s\n", "lines", "tcprules", "wall ms", "peak kB", "errors");
  for (const TcprulesLevel& l : r.levels) {
    out += side_row(l.lines, r.a_label, l.a, l.errors);
    out += side_row(l.lines, r.b_label, l.b, l.errors);
    // "time" keeps this row apart from the servers' ratio rows for the smoke test's patterns.
    out += format("%9lu  %s/%s time %.2fx, peak memory %.2fx (A/B, median of the rounds' pairs)\n",
                  l.lines, r.a_label.c_str(), r.b_label.c_str(), l.time_ratio, l.rss_ratio);
  }
  for (const std::string& p : r.problems) out += "tcprules: ERROR: " + p + "\n";
  if (r.problems.empty()) out += "cdbs: byte-identical in every round\n";
  return out;
}

std::string format_tcprules_goal(const TcprulesResult& r) {
  if (r.levels.empty()) return "goal: tcprules wall time <= 1.0x djb's: not measured\n";
  const TcprulesLevel& top = r.levels.back();
  return format("goal: tcprules wall time at %lu lines <= %.1fx djb's: %.2fx  %s\n", top.lines,
                goal_time, top.time_ratio, top.time_ratio <= goal_time ? "met" : "MISSED");
}

}  // namespace ucspi::bench
