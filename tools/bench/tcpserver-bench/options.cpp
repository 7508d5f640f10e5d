#include "tools/bench/tcpserver-bench/options.h"

#include <getopt.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "rules/base/messages.h"
#include "rules/base/scan_ulong.h"
#include "rules/base/sibling_program.h"

namespace ucspi::bench {
namespace {

constexpr std::string_view usage_text =
    "tcpserver-bench: usage: tcpserver-bench [--ours PATH] [--reference PATH] [--tcprules PATH]\n"
    "  [--our-tcprules PATH]\n"
    "  [--scenarios plain,rules,store,relay-ctrl,long,ceiling,tcprules,mysql,mysql+20ms,dns+ident,\n"
    "               dns+ident-djb,store-curve,softlimit]\n"
    "  [--concurrency 1,16,64] [--tcprules-lines 10,100,1000,10000,100000,1000000]\n"
    "  [--curve 1,2,4,8,16,32,64,128,256] [--curves rules,ceiling|none]\n"
    "  [--long-concurrency 100,500] [--connections 1000] [--rounds 3] [--seconds 60]\n"
    "  [--relay-allow PATH] [--mariadb-fixture PATH] [--mysql-latency 20]\n"
    "  [--dns-latency 5] [--ident-latency 5] [--relay-clear PATH]\n"
    "  [--store-sizes 10,10000,1000000] [--store-rounds 1000] [--store-writers 16]\n"
    "  [--store-lookups 200000] [--softlimit-stores none,cdb,relay-ctrl,mysql]\n"
    "  [--softlimit-step 10000] [--out DIR]\n"
    "mysql and mysql+20ms (a private MariaDB) and dns+ident and dns+ident-djb (root: a private\n"
    "network namespace with a scripted DNS server and identd, each reply --dns-latency or\n"
    "--ident-latency ms after its query) run only when named. So does store-curve:\n"
    "relay-allow (new, 600 s and 10 s old entries, /bin/true and a static no-op beside, and\n"
    "its store work alone in process) and relay-clear timed for real, and tcpserver's lookup,\n"
    "against cdb stores of --store-sizes entries, then\n"
    "--store-writers relay-allows at once at the largest size, counting lost logins; each\n"
    "size's rounds, and the writers', stop at --seconds. So does softlimit: the lowest\n"
    "softlimit -m (set by the harness between fork and exec) under which each tcpserver\n"
    "serves 200 connections at once, bisected from 500000 to 64000000 bytes to\n"
    "--softlimit-step, ours with each of --softlimit-stores (mysql: a private MariaDB; leave\n"
    "it out where there is none) and djb's with none; then each parent's VmSize and VmRSS.";

[[noreturn]] void usage(std::string_view problem = {}) {
  if (!problem.empty()) print_line({"tcpserver-bench: ", problem});
  die(100, {usage_text});
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> parts;
  while (!text.empty()) {
    const auto comma = text.find(',');
    parts.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

// A whole decimal number in [low, high], or a usage error naming the option.
unsigned long number(std::string_view text, unsigned long low, unsigned long high, std::string_view option) {
  std::size_t digits = 0;
  const unsigned long n = scan_ulong(text, &digits);
  if (digits == 0 || digits != text.size() || digits > 9 || n < low || n > high)
    usage(std::string(option) + " wants a number from " + std::to_string(low) + " to " +
          std::to_string(high) + ", not " + std::string(text));
  return n;
}

std::vector<unsigned> levels(std::string_view text, std::string_view option) {
  std::vector<unsigned> out;
  for (const std::string& part : split(text))
    out.push_back(static_cast<unsigned>(number(part, 1, 1000, option)));
  if (out.empty()) usage(std::string(option) + " wants at least one level");
  return out;
}

std::vector<unsigned long> sizes(std::string_view text, std::string_view option) {
  std::vector<unsigned long> out;
  for (const std::string& part : split(text)) out.push_back(number(part, 1, 10000000, option));
  if (out.empty()) usage(std::string(option) + " wants at least one size");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Entries of a store: 2 at least, one stale and one fresh for relay-allow's rounds.
std::vector<unsigned long> store_sizes(std::string_view text) {
  std::vector<unsigned long> out = sizes(text, "--store-sizes");
  if (out.front() < 2) usage("--store-sizes wants 2 entries or more");
  return out;
}

// The softlimit scenario's stores: none (rules only), cdb, relay-ctrl, mysql.
std::vector<std::string> softlimit_stores(std::string_view text) {
  static const std::vector<std::string> known = {"none", "cdb", "relay-ctrl", "mysql"};
  std::vector<std::string> out;
  for (std::string& part : split(text)) {
    if (std::find(known.begin(), known.end(), part) == known.end())
      usage("--softlimit-stores: no store " + part + " (none, cdb, relay-ctrl, mysql)");
    if (std::find(out.begin(), out.end(), part) == out.end()) out.push_back(std::move(part));
  }
  if (out.empty()) usage("--softlimit-stores wants at least one store");
  return out;
}

std::vector<std::string> names(std::string_view text, std::string_view option) {
  std::vector<std::string> out;
  if (text == "none") return out;
  for (std::string& part : split(text)) {
    const auto& known = scenario_names();
    const auto& optional = optional_scenario_names();
    if (std::find(known.begin(), known.end(), part) == known.end() &&
        std::find(optional.begin(), optional.end(), part) == optional.end())
      usage(std::string(option) + ": no scenario " + part);
    out.push_back(std::move(part));
  }
  return out;
}

// build/bin/tcpserver-bench finds build/reference/ucspi-tcp/usr/bin/tcpserver.
std::string default_reference() {
  return sibling_program("../reference/ucspi-tcp/usr/bin/tcpserver").value_or("tcpserver");
}

// name in program's directory.
std::string beside(const std::string& program, const std::string& name) {
  const auto slash = program.rfind('/');
  return slash == std::string::npos ? name : program.substr(0, slash + 1) + name;
}

}  // namespace

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> all = {"plain", "rules", "store", "relay-ctrl", "long",
                                                 "ceiling", "tcprules"};
  return all;
}

const std::vector<std::string>& optional_scenario_names() {
  static const std::vector<std::string> all = {"mysql", "mysql+20ms", "dns+ident",
                                                 "dns+ident-djb", "store-curve", "softlimit"};
  return all;
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.scenarios = scenario_names();
  o.concurrency = {1, 16, 64};
  o.curve = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  o.curves = {"rules", "ceiling"};
  o.long_concurrency = {100, 500};
  o.tcprules_lines = {10, 100, 1000, 10000, 100000, 1000000};
  o.store_sizes = {10, 10000, 1000000};
  o.softlimit_stores = {"none", "cdb", "relay-ctrl", "mysql"};
  enum { opt_ours = 1, opt_reference, opt_tcprules, opt_scenarios, opt_concurrency, opt_curve,
         opt_curves, opt_long_c, opt_connections, opt_rounds, opt_seconds, opt_out, opt_our_tcprules,
         opt_tcprules_lines, opt_relay_allow, opt_fixture, opt_latency, opt_dns_latency,
         opt_ident_latency, opt_relay_clear, opt_store_sizes, opt_store_rounds,
         opt_store_writers, opt_store_lookups, opt_softlimit_stores, opt_softlimit_step };
  static const option long_options[] = {
      {"ours", required_argument, nullptr, opt_ours},
      {"reference", required_argument, nullptr, opt_reference},
      {"tcprules", required_argument, nullptr, opt_tcprules},
      {"our-tcprules", required_argument, nullptr, opt_our_tcprules},
      {"tcprules-lines", required_argument, nullptr, opt_tcprules_lines},
      {"relay-allow", required_argument, nullptr, opt_relay_allow},
      {"relay-clear", required_argument, nullptr, opt_relay_clear},
      {"store-sizes", required_argument, nullptr, opt_store_sizes},
      {"store-rounds", required_argument, nullptr, opt_store_rounds},
      {"store-writers", required_argument, nullptr, opt_store_writers},
      {"store-lookups", required_argument, nullptr, opt_store_lookups},
      {"softlimit-stores", required_argument, nullptr, opt_softlimit_stores},
      {"softlimit-step", required_argument, nullptr, opt_softlimit_step},
      {"mariadb-fixture", required_argument, nullptr, opt_fixture},
      {"mysql-latency", required_argument, nullptr, opt_latency},
      {"dns-latency", required_argument, nullptr, opt_dns_latency},
      {"ident-latency", required_argument, nullptr, opt_ident_latency},
      {"scenarios", required_argument, nullptr, opt_scenarios},
      {"concurrency", required_argument, nullptr, opt_concurrency},
      {"curve", required_argument, nullptr, opt_curve},
      {"curves", required_argument, nullptr, opt_curves},
      {"long-concurrency", required_argument, nullptr, opt_long_c},
      {"connections", required_argument, nullptr, opt_connections},
      {"rounds", required_argument, nullptr, opt_rounds},
      {"seconds", required_argument, nullptr, opt_seconds},
      {"out", required_argument, nullptr, opt_out},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "h", long_options, nullptr)) != -1) {
    const std::string_view arg = optarg ? optarg : "";
    switch (opt) {
      case opt_ours: o.ours = arg; break;
      case opt_reference: o.reference = arg; break;
      case opt_tcprules: o.tcprules = arg; break;
      case opt_our_tcprules: o.our_tcprules = arg; break;
      case opt_tcprules_lines: o.tcprules_lines = sizes(arg, "--tcprules-lines"); break;
      case opt_relay_allow: o.relay_allow = arg; break;
      case opt_relay_clear: o.relay_clear = arg; break;
      case opt_store_sizes: o.store_sizes = store_sizes(arg); break;
      case opt_store_rounds: o.store_rounds = number(arg, 1, 100000, "--store-rounds"); break;
      case opt_store_writers:
        o.store_writers = static_cast<unsigned>(number(arg, 1, 64, "--store-writers"));
        break;
      case opt_store_lookups: o.store_lookups = number(arg, 3, 10000000, "--store-lookups"); break;
      case opt_softlimit_stores: o.softlimit_stores = softlimit_stores(arg); break;
      // Coarser for a quick look or the smoke test; finer than a page (4096) means nothing.
      case opt_softlimit_step:
        o.softlimit_step = number(arg, 4096, 10000000, "--softlimit-step");
        break;
      case opt_fixture: o.mariadb_fixture = arg; break;
      case opt_latency:
        o.mysql_latency_ms = static_cast<unsigned>(number(arg, 0, 10000, "--mysql-latency"));
        break;
      // Below both tcpservers' first resolver timeout (djb's: 1 s) and the load's 10 s a
      // connection: a latency is measured, not a retry or a timeout.
      case opt_dns_latency:
        o.dns_latency_ms = static_cast<unsigned>(number(arg, 0, 900, "--dns-latency"));
        break;
      case opt_ident_latency:
        o.ident_latency_ms = static_cast<unsigned>(number(arg, 0, 5000, "--ident-latency"));
        break;
      case opt_scenarios: o.scenarios = names(arg, "--scenarios"); break;
      case opt_concurrency: o.concurrency = levels(arg, "--concurrency"); break;
      case opt_curve: o.curve = levels(arg, "--curve"); break;
      case opt_curves: o.curves = names(arg, "--curves"); break;
      case opt_long_c: o.long_concurrency = levels(arg, "--long-concurrency"); break;
      case opt_connections: o.connections = number(arg, 1, 1000000, "--connections"); break;
      case opt_rounds: o.rounds = static_cast<unsigned>(number(arg, 1, 100, "--rounds")); break;
      case opt_seconds: o.seconds = static_cast<double>(number(arg, 1, 3600, "--seconds")); break;
      case opt_out: o.out = arg; break;
      default: usage();
    }
  }
  if (optind != argc) usage("unexpected argument " + std::string(argv[optind]));
  if (o.scenarios.empty()) usage("--scenarios names none");
  if (o.out.empty()) usage("--out wants a directory");
  if (o.ours.empty()) o.ours = sibling_program("tcpserver").value_or("tcpserver");
  if (o.reference.empty()) o.reference = default_reference();
  // Each tcprules beside its tcpserver, as the build and djb's package put them.
  if (o.tcprules.empty()) o.tcprules = beside(o.reference, "tcprules");
  if (o.our_tcprules.empty()) o.our_tcprules = beside(o.ours, "tcprules");
  if (o.relay_allow.empty()) o.relay_allow = beside(o.ours, "relay-allow");
  if (o.relay_clear.empty()) o.relay_clear = beside(o.ours, "relay-clear");
  // The source tree this harness was built from: it is not installed.
  if (o.mariadb_fixture.empty())
    o.mariadb_fixture = UCSPI_SOURCE_DIR "/tests/support/mariadb-fixture.sh";
  // The servers and tcprules run in the harness's temporary directory.
  for (std::string* path : {&o.ours, &o.reference, &o.tcprules, &o.our_tcprules, &o.relay_allow,
                            &o.relay_clear, &o.mariadb_fixture})
    if (path->find('/') != std::string::npos) *path = std::filesystem::absolute(*path).lexically_normal();
  return o;
}

}  // namespace ucspi::bench
