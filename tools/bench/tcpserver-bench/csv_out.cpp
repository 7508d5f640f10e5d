#include "tools/bench/tcpserver-bench/csv_out.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace ucspi::bench {
namespace {

std::string fields(const SideFigures& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f,%.3f,%.3f,%.3f,%ld,%ld,%lu", s.conn_per_s, s.p50_ms, s.p99_ms,
                s.max_ms, s.peak.rss_kib, s.peak.vmsize_kib, s.errors);
  return buf;
}

std::string scenario_csv(const ScenarioResult& r) {
  std::string text = "concurrency";
  for (const std::string& side : {std::string("a"), std::string("b")})
    for (const char* f : {"conn_per_s", "p50_ms", "p99_ms", "max_ms", "rss_kib", "vmsize_kib", "errors"})
      text += "," + side + "_" + f;
  text += ",rate_ratio,p50_ratio,a_server,b_server,a_fds,b_fds\n";
  for (const LevelFigures& f : r.levels) {
    char ratios[64];
    std::snprintf(ratios, sizeof ratios, "%.4f,%.4f", f.rate_ratio, f.p50_ratio);
    text += std::to_string(f.level) + "," + fields(f.a) + "," + fields(f.b) + "," + ratios + "," +
            r.scenario->a.label + "," + r.scenario->b.label + "," + std::to_string(f.a.peak.fds) +
            "," + std::to_string(f.b.peak.fds) + "\n";
  }
  return text;
}

}  // namespace

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("unable to write " + path);
}

std::string write_tcprules_csv(const std::string& dir, const TcprulesResult& r) {
  std::string text =
      "lines,a_wall_ms,a_rss_kib,b_wall_ms,b_rss_kib,time_ratio,rss_ratio,errors,a_tcprules,"
      "b_tcprules\n";
  for (const TcprulesLevel& l : r.levels) {
    char line[192];
    std::snprintf(line, sizeof line, "%lu,%.3f,%ld,%.3f,%ld,%.4f,%.4f,%lu,", l.lines, l.a.wall_ms,
                  l.a.rss_kib, l.b.wall_ms, l.b.rss_kib, l.time_ratio, l.rss_ratio, l.errors);
    text += line + r.a_label + "," + r.b_label + "\n";
  }
  const std::string path = scenario_csv_path(dir, "tcprules");
  write_file(path, text);
  return path;
}

std::string scenario_csv_path(const std::string& dir, const std::string& scenario) {
  return dir + "/" + scenario + ".csv";
}

std::vector<std::string> write_csv(const std::string& dir, const std::vector<ScenarioResult>& results) {
  std::vector<std::string> written;
  std::string runs =
      "scenario,server,concurrency,round,connections,errors,empty,elapsed_s,conn_per_s,p50_us,"
      "p90_us,p99_us,max_us,rss_kib,vmsize_kib,fds\n";
  for (const ScenarioResult& r : results) {
    const std::string path = scenario_csv_path(dir, r.scenario->name);
    write_file(path, scenario_csv(r));
    written.push_back(path);
    for (const RunRecord& run : r.runs) {
      const LoadSummary& l = run.load;
      char line[256];
      std::snprintf(line, sizeof line, "%s,%s,%u,%u,%lu,%lu,%lu,%.3f,%.1f,%.0f,%.0f,%.0f,%.0f,%ld,%ld,%ld\n",
                    r.scenario->name.c_str(), run.server.c_str(), run.level, run.round + 1, l.conns,
                    l.errors, l.empty, l.elapsed_s, l.conn_per_s, l.p50_us, l.p90_us, l.p99_us,
                    l.max_us, run.peak.rss_kib, run.peak.vmsize_kib, run.peak.fds);
      runs += line;
    }
  }
  write_file(dir + "/runs.csv", runs);
  written.push_back(dir + "/runs.csv");
  return written;
}

}  // namespace ucspi::bench
