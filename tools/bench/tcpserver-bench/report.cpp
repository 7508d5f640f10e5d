#include "tools/bench/tcpserver-bench/report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace ucspi::bench {
namespace {

// A goal on one ratio (A/B, pair by pair) of one scenario at one number of clients: at least
// bound for connections per second, at most bound for latency.
struct RatioGoal {
  const char* what;
  const char* scenario;
  unsigned level;
  double LevelFigures::*ratio;
  double bound;
  bool at_most;
};

constexpr RatioGoal ratio_goals[] = {
    {"conn/s at c=16 with rules >= 1.05x djb's", "rules", 16, &LevelFigures::rate_ratio, 1.05, false},
    {"p50 latency at c=1 with rules <= 0.9x djb's", "rules", 1, &LevelFigures::p50_ratio, 0.9, true},
    {"conn/s at c=16 >= 1.0x the harness's fork+exec ceiling", "ceiling", 16,
     &LevelFigures::rate_ratio, 1.0, false},
    {"conn/s at c=16 with the cdb store >= 0.95x without", "store", 16, &LevelFigures::rate_ratio,
     0.95, false},
    {"conn/s at c=16 with the relay-ctrl store >= 0.95x without", "relay-ctrl", 16,
     &LevelFigures::rate_ratio, 0.95, false},
    {"conn/s at c=16 with the MySQL store >= 0.95x without", "mysql", 16,
     &LevelFigures::rate_ratio, 0.95, false},
    {"conn/s at c=64 with MySQL 20 ms away >= 0.9x MySQL direct", "mysql+20ms", 64,
     &LevelFigures::rate_ratio, 0.9, false},
};
// "Flat": what a parent may grow by between warm-up and its peak, in kB (a few pages of
// connection slots at the top level; a leak of a few bytes a connection shows far above it).
constexpr long rss_growth_allowed_kib = 128;

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

const ScenarioResult* find(const std::vector<ScenarioResult>& results, const std::string& name) {
  for (const ScenarioResult& r : results)
    if (r.scenario->name == name) return &r;
  return nullptr;
}

const LevelFigures* at_level(const ScenarioResult* r, unsigned level) {
  if (!r) return nullptr;
  for (const LevelFigures& f : r->levels)
    if (f.level == level) return &f;
  return nullptr;
}

std::string side_row(unsigned level, const std::string& label, const SideFigures& s,
                     std::optional<double> ceiling) {
  std::string row = format("%6u  %-15s %9.1f %9.2f %9.2f %9.2f %8ld %9ld %7lu", level, label.c_str(),
                           s.conn_per_s, s.p50_ms, s.p99_ms, s.max_ms, s.peak.rss_kib,
                           s.peak.vmsize_kib, s.errors);
  if (ceiling && *ceiling > 0) row += format(" %9.2f", s.conn_per_s / *ceiling);
  return row + "\n";
}

std::string footprint_line(const std::string& label, const MemoryTrack& m) {
  return format("parent %s after warm-up / at peak / at the end: RSS %ld / %ld / %ld kB, "
                "VmSize %ld / %ld / %ld kB, fds %ld / %ld / %ld\n",
                label.c_str(), m.start.rss_kib, m.peak.rss_kib, m.end.rss_kib, m.start.vmsize_kib,
                m.peak.vmsize_kib, m.end.vmsize_kib, m.start.fds, m.peak.fds, m.end.fds);
}

std::string verdict(bool met) { return met ? "met" : "MISSED"; }

std::string goal_line(const std::string& what, const LevelFigures* f, double value, bool met,
                      const std::string& missing) {
  if (!f) return "goal: " + what + ": not measured (" + missing + ")\n";
  return "goal: " + what + ": " + format("%.2fx", value) + "  " + verdict(met) + "\n";
}

// How much of its rate each server keeps with its lookups on: ours must lose no more than djb's.
// Each ratio is its own scenario's, pair by pair; the two scenarios ran one after the other.
std::string lookups_goal(const std::vector<ScenarioResult>& results) {
  constexpr unsigned level = 16;
  const ScenarioResult* ours = find(results, "dns+ident");
  const ScenarioResult* djb = find(results, "dns+ident-djb");
  const LevelFigures* o = at_level(ours, level);
  const LevelFigures* d = at_level(djb, level);
  std::string what = format("conn/s at c=%u with DNS and ident on, against -H -R: ours' ratio "
                            ">= 1.0x djb's", level);
  // The run's own latencies: the figure is only about them.
  if (const ScenarioResult* r = ours ? ours : djb) what += " (" + r->scenario->latency + ")";
  const double value = o && d && d->rate_ratio > 0 ? o->rate_ratio / d->rate_ratio : 0;
  return goal_line(what, o && d ? o : nullptr, value, o && d && value >= 1.0,
                   "scenarios dns+ident and dns+ident-djb at level " + std::to_string(level));
}

}  // namespace

std::optional<double> ceiling_at(const std::vector<ScenarioResult>& results, unsigned level) {
  const LevelFigures* f = at_level(find(results, "ceiling"), level);
  if (!f) return std::nullopt;
  return f->b.conn_per_s;
}

std::string format_tables(const std::vector<ScenarioResult>& results, const Options& options) {
  std::string out;
  for (const ScenarioResult& r : results) {
    const Scenario& s = *r.scenario;
    out += "\nscenario " + s.name + ": " + s.a.label + " vs " + s.b.label + "; " + s.description +
           "\n";
    out += format("median of %u rounds (alternating, order flipped each round); ", options.rounds);
    out += s.connections ? format("%lu connections a run\n", s.connections)
                         : format("%lu connections per client a run\n", s.per_client);
    out += format("%6s  %-15s %9s %9s %9s %9s %8s %9s %7s %9s\n", "c", "server", "conn/s", "p50 ms",
                  "p99 ms", "max ms", "RSS kB", "VmSize kB", "errors", "x ceiling");
    for (const LevelFigures& f : r.levels) {
      const auto ceiling = s.child_is_short ? ceiling_at(results, f.level) : std::nullopt;
      out += side_row(f.level, s.a.label, f.a, ceiling);
      out += side_row(f.level, s.b.label, f.b, ceiling);
      out += format("%6u  %-15s %8.2fx %8.2fx   (A/B, median of the rounds' pairs)\n", f.level,
                    (s.a.label + "/" + s.b.label).c_str(), f.rate_ratio, f.p50_ratio);
    }
    out += footprint_line(s.a.label, r.a_memory) + footprint_line(s.b.label, r.b_memory);
    if (r.lookups)
      out += format("lookups answered by the scripted servers (warm-up included): PTR %lu, "
                    "A %lu, other %lu, ident %lu\n",
                    r.lookups->ptr, r.lookups->a, r.lookups->other, r.lookups->ident);
  }
  return out;
}

std::string format_goals(const std::vector<ScenarioResult>& results) {
  std::string out = "\ngoals (ours against the others of the same run):\n";
  for (const RatioGoal& goal : ratio_goals) {
    const LevelFigures* f = at_level(find(results, goal.scenario), goal.level);
    const double value = f ? f->*goal.ratio : 0;
    const bool met = f && (goal.at_most ? value <= goal.bound : value >= goal.bound);
    out += goal_line(goal.what, f, value, met,
                     "scenario " + std::string(goal.scenario) + " at level " +
                         std::to_string(goal.level));
  }
  out += lookups_goal(results);
  long growth = 0;
  std::string where;
  for (const ScenarioResult& r : results) {
    if (!r.scenario->a_is_ours) continue;
    const long g = r.a_memory.peak.rss_kib - r.a_memory.start.rss_kib;
    if (where.empty() || g > growth) {
      growth = g;
      where = r.scenario->name;
    }
  }
  if (where.empty()) return out + "goal: parent RSS flat: not measured (no server scenario)\n";
  out += format("goal: parent RSS flat (ours grows <= %ld kB from warm-up to peak): %+ld kB "
                "at most (scenario %s)  %s\n",
                rss_growth_allowed_kib, growth, where.c_str(),
                verdict(growth <= rss_growth_allowed_kib).c_str());
  return out;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

}  // namespace ucspi::bench
