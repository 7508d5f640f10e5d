// tcpserver-bench: our tcpserver against djb's (and against the least a server can do) on this
// machine, in one run, with the figures BENCHMARKS.md gives. Usage: see options.cpp, or
// BENCHMARKS.md's section "tcpserver-bench". Loopback only; every run bounded in connections
// and time; the servers it starts are stopped whatever happens. Exit 0 once it has measured
// (missed goals included: timings are not pass/fail), 1 when a tcprules failed or the two
// tcprules' cdbs differ (a wrong answer, not a timing), 100 for usage, 111 when it could not.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "rules/base/messages.h"
#include "rules/base/sibling_program.h"
#include "tools/bench/tcpserver-bench/bench_files.h"
#include "tools/bench/tcpserver-bench/csv_out.h"
#include "tools/bench/tcpserver-bench/delay_proxy.h"
#include "tools/bench/tcpserver-bench/lookup_scenarios.h"
#include "tools/bench/tcpserver-bench/mariadb_fixture.h"
#include "tools/bench/tcpserver-bench/measure.h"
#include "tools/bench/tcpserver-bench/netns.h"
#include "tools/bench/tcpserver-bench/options.h"
#include "tools/bench/tcpserver-bench/plots.h"
#include "tools/bench/tcpserver-bench/progress.h"
#include "tools/bench/tcpserver-bench/report.h"
#include "tools/bench/tcpserver-bench/scenarios.h"
#include "tools/bench/tcpserver-bench/signal_cleanup.h"
#include "tools/bench/tcpserver-bench/softlimit_floor.h"
#include "tools/bench/tcpserver-bench/softlimit_report.h"
#include "tools/bench/tcpserver-bench/store_curve.h"
#include "tools/bench/tcpserver-bench/store_curve_report.h"
#include "tools/bench/tcpserver-bench/tcprules_curve.h"
#include "tools/bench/tcpserver-bench/tcprules_report.h"

namespace {

using namespace ucspi::bench;

void require_program(const std::string& path, const char* what) {
  if (access(path.c_str(), X_OK) != 0)
    throw std::runtime_error(std::string(what) + " " + path + " is not an executable (see --help)");
}

// 1,000 clients at once need more descriptors than a shell's usual 1,024.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

bool wants(const Options& o, const std::string& scenario) {
  return std::find(o.scenarios.begin(), o.scenarios.end(), scenario) != o.scenarios.end();
}

// What the mysql scenarios ask, for as long as they run: MariaDB, and the proxy that puts it
// further away. Destroyed before the work directory that holds the database.
struct MysqlBackends {
  std::optional<MariadbFixture> db;
  std::optional<DelayProxy> proxy;
};

bool softlimit_wants(const Options& o, const std::string& store) {
  return wants(o, "softlimit") && std::find(o.softlimit_stores.begin(), o.softlimit_stores.end(),
                                            store) != o.softlimit_stores.end();
}

void start_mysql(const Options& o, const std::string& workdir, BenchFiles& files, MysqlBackends& m) {
  if (!wants(o, "mysql") && !wants(o, "mysql+20ms") && !softlimit_wants(o, "mysql")) return;
  require_program(o.relay_allow, "--relay-allow");
  print("starting MariaDB with " + o.mariadb_fixture + "\n");
  try {
    m.db.emplace(o.mariadb_fixture, workdir + "/mariadb");
  } catch (const std::runtime_error& e) {
    if (!softlimit_wants(o, "mysql")) throw;
    throw std::runtime_error(std::string(e.what()) + " (softlimit measures the mysql store by "
                             "default: --softlimit-stores none,cdb,relay-ctrl leaves it out)");
  }
  seed_relay_table(*m.db, o.relay_allow);
  files.mysql_spec = "mysql:" + m.db->conf();
  m.proxy.emplace(m.db->port(), std::chrono::milliseconds(o.mysql_latency_ms));
  files.mysql_delayed_spec =
      "mysql:" + redirected_conf(*m.db, m.proxy->port(), workdir + "/mysql-delayed.conf");
  files.mysql_latency_ms = o.mysql_latency_ms;
}

std::optional<TcprulesResult> run_tcprules(const Options& o, const std::string& workdir) {
  if (!wants(o, "tcprules")) return std::nullopt;
  const TcprulesPlan plan{o.our_tcprules, o.tcprules, o.tcprules_lines, o.rounds,
                          std::chrono::milliseconds(static_cast<long>(o.seconds * 1000))};
  print("tcprules curve: " + std::to_string(o.tcprules_lines.size()) + " sizes, " +
        std::to_string(o.rounds) + " rounds\n");
  return measure_tcprules(plan, workdir);
}

std::optional<StoreCurveResult> run_store_curve(const Options& o, const std::string& workdir) {
  if (!wants(o, "store-curve")) return std::nullopt;
  require_program(o.relay_allow, "--relay-allow");
  require_program(o.relay_clear, "--relay-clear");
  const std::string noop = ucspi::sibling_program("tcpserver-bench-noop").value_or("");
  require_program(noop, "the harness's tcpserver-bench-noop (built beside it)");
  const StoreCurvePlan plan{o.relay_allow,
                            o.relay_clear,
                            noop,
                            o.store_sizes,
                            static_cast<long>(o.store_rounds),
                            static_cast<int>(o.store_writers),
                            static_cast<long>(o.store_lookups),
                            std::chrono::seconds(static_cast<long>(o.seconds))};
  return measure_store_curve(plan, workdir, print);
}

// Before MariaDB stops: its mysql row asks it.
std::optional<SoftlimitResult> run_softlimit(const Options& o, const std::string& workdir,
                                             const BenchFiles& files) {
  if (!wants(o, "softlimit")) return std::nullopt;
  if (o.softlimit_stores != std::vector<std::string>{"none"})
    require_program(o.relay_allow, "--relay-allow");
  const SoftlimitPlan plan{o.ours, o.reference, o.relay_allow, files.tiny_rules_cdb,
                           o.softlimit_stores, files.mysql_spec, o.softlimit_step};
  Progress progress(softlimit_runs_planned(plan));
  return measure_softlimit(plan, workdir, progress);
}

// The curves without a server each have their files; nullopt for those that did not run.
struct Curves {
  std::optional<TcprulesResult> tcprules;
  std::optional<StoreCurveResult> store;
  std::optional<SoftlimitResult> softlimit;
};

void report_files(const Options& o, const std::vector<ScenarioResult>& results, const Curves& curves) {
  const auto& tcprules = curves.tcprules;
  std::string lines = "\nCSV:";
  for (const std::string& f : write_csv(o.out, results)) lines += " " + f;
  if (tcprules) lines += " " + write_tcprules_csv(o.out, *tcprules);
  if (curves.store)
    for (const std::string& f : write_store_curve_csv(o.out, *curves.store)) lines += " " + f;
  if (curves.softlimit) lines += " " + write_softlimit_csv(o.out, *curves.softlimit);
  lines += "\n";
  if (const auto gnuplot = find_gnuplot()) {
    auto svgs = write_plots(*gnuplot, o.out, results);
    if (tcprules && tcprules->levels.size() >= 2)
      svgs.push_back(write_tcprules_plot(*gnuplot, o.out, *tcprules));
    if (curves.store && curves.store->levels.size() >= 2)
      svgs.push_back(write_store_curve_plot(*gnuplot, o.out));
    lines += "plots:";
    for (const std::string& f : svgs) lines += " " + f;
    if (svgs.empty()) lines += " none (no scenario was measured at two levels or more)";
    lines += "\n";
  } else {
    const char* loud =
        "tcpserver-bench: warning: gnuplot is not on PATH: NO PLOTS were drawn (the CSV files are "
        "there); apt-get install gnuplot-nox, then run again for the SVG curves";
    ucspi::print_line({loud});
    lines += std::string("plots: NONE, ") + (loud + 27) + "\n";
  }
  print(lines);
}

int run(const Options& o) {
  require_program(o.ours, "--ours");
  require_program(o.reference, "--reference");
  require_program(o.tcprules, "--tcprules");
  if (wants(o, "tcprules")) require_program(o.our_tcprules, "--our-tcprules");
  // Before anything is measured: a run that cannot make the namespace says so at once.
  if (wants(o, "dns+ident") || wants(o, "dns+ident-djb")) run_in_private_network([] {});
  raise_descriptor_limit();
  install_signal_cleanup();  // before MariaDB, the work directory or any thread
  std::filesystem::create_directories(o.out);
  const double load_before = load_average();
  print("tcpserver-bench: ours " + o.ours + "\n                 djb's " + o.reference +
        "\n                 rules compiled by " + o.tcprules + "\n");
  print("load average " + std::to_string(load_before).substr(0, 4) + " on " +
        std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs before the run\n");
  const WorkDir work;
  BenchFiles files = prepare_files(work.path(), o.tcprules);
  MysqlBackends mysql;
  start_mysql(o, work.path(), files, mysql);
  const std::vector<Scenario> scenarios = make_scenarios(o, files);
  std::vector<ScenarioResult> results;
  {
    Progress progress(runs_planned(scenarios, o));
    // The lookups scenarios last, together, on a thread in a network namespace of its own:
    // the others keep the host's loopback, where the lookups' port 53 and 113 would be the
    // host's (and other tests') to take; their scripted servers start once for all of them.
    std::vector<const Scenario*> lookups;
    for (const Scenario& s : scenarios) {
      if (s.private_network) lookups.push_back(&s);
      else results.push_back(measure_scenario(s, o, work.path(), progress));
    }
    for (ScenarioResult& r : measure_lookup_scenarios(lookups, o, work.path(), progress))
      results.push_back(std::move(r));
  }
  std::optional<SoftlimitResult> softlimit = run_softlimit(o, work.path(), files);
  // Done with MariaDB: its background threads are no company for the tcprules timings.
  mysql.proxy.reset();
  mysql.db.reset();
  const Curves curves{run_tcprules(o, work.path()), run_store_curve(o, work.path()),
                      std::move(softlimit)};
  const auto& tcprules = curves.tcprules;
  print(format_tables(results, o));
  if (tcprules) print(format_tcprules_table(*tcprules, o.rounds));
  if (curves.store)
    print(format_store_curve_table(*curves.store, static_cast<long>(o.store_rounds),
                                   static_cast<long>(o.store_lookups)));
  if (curves.softlimit) print(format_softlimit_table(*curves.softlimit));
  print(format_goals(results));
  if (tcprules) print(format_tcprules_goal(*tcprules));
  if (curves.store) print(format_store_curve_goals(*curves.store));
  if (curves.softlimit) print(format_softlimit_goal(*curves.softlimit));
  const double load_after = load_average();
  std::string load = "\nload average " + std::to_string(load_before).substr(0, 4) + " before, " +
                     std::to_string(load_after).substr(0, 4) + " after the run";
  if (std::max(load_before, load_after) > 0.75 * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)))
    load += ": the machine was busy, the ratios are less reliable than usual";
  print(load + "\n");
  report_files(o, results, curves);
  if (tcprules && !tcprules->problems.empty()) {
    ucspi::print_line({"tcpserver-bench: error: the tcprules curve had errors (see its table)"});
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    // The servers were stopped on the way here, by their owners' destructors.
    ucspi::print_line({"tcpserver-bench: fatal: ", e.what()});
    return 111;
  }
}
