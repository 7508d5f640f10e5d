#include "tools/bench/tcpserver-bench/measure.h"

#include <algorithm>
#include <cstdio>

#include "tools/bench/tcpserver-bench/load_generator.h"

namespace ucspi::bench {
namespace {

// Fills the page cache, the dynamic loader's and the cdb's pages, and the first forks' costs,
// before anything is counted: up to 200 connections, at 4 clients or the first level if more
// (long children take a second each).
constexpr unsigned long warmup_connections = 200;
constexpr unsigned warmup_concurrency = 4;
constexpr double conn_timeout_s = 10;

void keep_peak(Memory& peak, const Memory& now) {
  peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
  peak.vmsize_kib = std::max(peak.vmsize_kib, now.vmsize_kib);
  peak.fds = std::max(peak.fds, now.fds);
}

// progress and what, if given, show how far the run is.
LoadSummary run_against(const ServerProcess& server, unsigned sources, unsigned concurrency,
                        unsigned long total, double seconds, Memory& peak,
                        Progress* progress = nullptr, const std::string& what = "") {
  LoadSpec spec;
  spec.target = loopback_target("127.0.0.1", server.port());
  spec.sources = sources;
  spec.concurrency = concurrency;
  spec.total = total;
  spec.seconds = seconds;
  spec.conn_timeout = conn_timeout_s;
  const LoadTick sample = [&](unsigned long finished) {
    keep_peak(peak, server.memory());
    if (progress) progress->running(what, finished, total);
  };
  LoadSummary s = summarize(run_load(spec, sample));
  keep_peak(peak, server.memory());
  return s;
}

std::string describe(const RunRecord& r) {
  char line[160];
  std::snprintf(line, sizeof line, " c=%u round %u %s: %.0f conn/s, p50 %.2f ms, errors %lu",
                r.level, r.round + 1, r.server.c_str(), r.load.conn_per_s, r.load.p50_us / 1000,
                r.load.errors + r.load.empty);
  return line;
}

SideFigures side_figures(const std::vector<const RunRecord*>& runs) {
  SideFigures f;
  std::vector<double> rate, p50, p99;
  for (const RunRecord* r : runs) {
    rate.push_back(r->load.conn_per_s);
    p50.push_back(r->load.p50_us / 1000);
    p99.push_back(r->load.p99_us / 1000);
    f.max_ms = std::max(f.max_ms, r->load.max_us / 1000);
    f.errors += r->load.errors + r->load.empty;
    keep_peak(f.peak, r->peak);
  }
  f.conn_per_s = median(rate);
  f.p50_ms = median(p50);
  f.p99_ms = median(p99);
  return f;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

LevelFigures level_figures(const std::vector<RunRecord>& runs, unsigned level,
                           const std::string& a_label) {
  std::vector<const RunRecord*> a, b;
  for (const RunRecord& r : runs)
    if (r.level == level) (r.server == a_label ? a : b).push_back(&r);
  LevelFigures f;
  f.level = level;
  f.a = side_figures(a);
  f.b = side_figures(b);
  std::vector<double> rates, p50s;
  for (const RunRecord* ra : a)
    for (const RunRecord* rb : b)
      if (ra->round == rb->round) {
        rates.push_back(ratio(ra->load.conn_per_s, rb->load.conn_per_s));
        p50s.push_back(ratio(ra->load.p50_us, rb->load.p50_us));
      }
  f.rate_ratio = median(rates);
  f.p50_ratio = median(p50s);
  return f;
}

}  // namespace

unsigned runs_planned(const std::vector<Scenario>& scenarios, const Options& options) {
  unsigned n = 0;
  for (const Scenario& s : scenarios) n += static_cast<unsigned>(s.levels.size()) * options.rounds * 2;
  return n;
}

ScenarioResult measure_scenario(const Scenario& scenario, const Options& options,
                                const std::string& workdir, Progress& progress) {
  ScenarioResult result;
  result.scenario = &scenario;
  progress.starting(scenario.name + ": starting " + scenario.a.label + " and " + scenario.b.label);
  ServerProcess a(scenario.a, workdir);
  ServerProcess b(scenario.b, workdir);
  ServerProcess* const servers[2] = {&a, &b};
  MemoryTrack* const tracks[2] = {&result.a_memory, &result.b_memory};
  const unsigned first = scenario.levels.front();
  for (int i = 0; i < 2; ++i) {
    Memory ignored;
    run_against(*servers[i], scenario.sources, std::max(warmup_concurrency, first),
                std::min(warmup_connections, connections_at(scenario, first)), options.seconds, ignored);
    tracks[i]->start = servers[i]->memory();
  }
  for (unsigned level : scenario.levels) {
    for (unsigned round = 0; round < options.rounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        const int i = round % 2 == 0 ? k : 1 - k;
        RunRecord r;
        r.server = servers[i]->label();
        r.level = level;
        r.round = round;
        const std::string what = scenario.name + " c=" + std::to_string(level) + " round " +
                                 std::to_string(round + 1) + " " + r.server;
        progress.starting(what);
        r.load = run_against(*servers[i], scenario.sources, level, connections_at(scenario, level),
                             options.seconds, r.peak, &progress, what);
        keep_peak(tracks[i]->peak, r.peak);
        progress.finished(scenario.name + describe(r));
        result.runs.push_back(std::move(r));
      }
    }
  }
  for (int i = 0; i < 2; ++i) tracks[i]->end = servers[i]->memory();
  for (unsigned level : scenario.levels)
    result.levels.push_back(level_figures(result.runs, level, scenario.a.label));
  return result;
}

}  // namespace ucspi::bench
