#include "tools/bench/tcpserver-bench/plots.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

// Columns of SCENARIO.csv (csv_out.cpp): 1 concurrency, 2 A's conn/s, 9 B's conn/s.
std::string script(const ScenarioResult& r, bool with_ceiling) {
  const Scenario& s = *r.scenario;
  std::string gp =
      "set terminal svg size 720,440 dynamic font 'sans,12' background '#ffffff'\n"
      "set output '" + s.name + ".svg'\n"
      "set datafile separator ','\n"
      "set title 'tcpserver-bench: " + s.name + " (" + s.a.label + " vs " + s.b.label + ")'\n"
      "set xlabel 'clients at once'\n"
      "set ylabel 'connections per second (median)'\n"
      "set logscale x 2\n"
      "set yrange [0:*]\n"
      "set grid\n"
      "set key bottom right\n"
      "plot '" + s.name + ".csv' skip 1 using 1:2 with linespoints lw 2 title '" + s.a.label + "', \\\n"
      "     '' skip 1 using 1:9 with linespoints lw 2 title '" + s.b.label + "'";
  if (with_ceiling)
    gp += ", \\\n     'ceiling.csv' skip 1 using 1:9 with linespoints dt 2 title 'fork+exec ceiling'";
  return gp + "\n";
}

// Columns of tcprules.csv (csv_out.cpp): 1 lines, 2 A's ms, 3 A's kB, 4 B's ms, 5 B's kB.
std::string tcprules_script(const TcprulesResult& r) {
  const std::string& a = r.a_label;
  const std::string& b = r.b_label;
  return "set terminal svg size 720,440 dynamic font 'sans,12' background '#ffffff'\n"
         "set output 'tcprules.svg'\n"
         "set datafile separator ','\n"
         "set title 'tcpserver-bench: tcprules (" + a + " vs " + b + ")'\n"
         "set xlabel 'rules file lines'\n"
         "set ylabel 'wall ms (median)'\n"
         "set y2label 'peak RSS kB (median)'\n"
         "set logscale x 10\n"
         "set logscale y 10\n"
         "set logscale y2 10\n"
         "set ytics nomirror\n"
         "set y2tics\n"
         "set grid\n"
         "set key top left\n"
         "plot 'tcprules.csv' skip 1 using 1:2 with linespoints lw 2 title '" + a + " ms', \\\n"
         "     '' skip 1 using 1:4 with linespoints lw 2 title '" + b + " ms', \\\n"
         "     '' skip 1 using 1:3 axes x1y2 with linespoints dt 2 title '" + a + " kB', \\\n"
         "     '' skip 1 using 1:5 axes x1y2 with linespoints dt 2 title '" + b + " kB'\n";
}

}  // namespace

std::optional<std::string> find_gnuplot() { return find_program("gnuplot"); }

std::string draw_plot(const std::string& gnuplot, const std::string& dir, const std::string& name,
                      const std::string& script) {
  const std::string gp_path = dir + "/" + name + ".gp";
  std::ofstream gp(gp_path, std::ios::trunc);
  gp << script;
  if (!gp.flush()) throw std::runtime_error("unable to write " + gp_path);
  run_to_completion({gnuplot, name + ".gp"}, "", dir, std::chrono::seconds(60));
  return dir + "/" + name + ".svg";
}

std::string write_tcprules_plot(const std::string& gnuplot, const std::string& dir,
                                const TcprulesResult& result) {
  return draw_plot(gnuplot, dir, "tcprules", tcprules_script(result));
}

std::vector<std::string> write_plots(const std::string& gnuplot, const std::string& dir,
                                     const std::vector<ScenarioResult>& results) {
  bool have_ceiling = false;
  for (const ScenarioResult& r : results) have_ceiling |= r.scenario->name == "ceiling";
  std::vector<std::string> written;
  for (const ScenarioResult& r : results) {
    if (r.levels.size() < 2) continue;
    const std::string name = r.scenario->name;
    written.push_back(
        draw_plot(gnuplot, dir, name, script(r, have_ceiling && name != "ceiling" && name != "long")));
  }
  return written;
}

}  // namespace ucspi::bench
