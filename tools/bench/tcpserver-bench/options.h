// tcpserver-bench's command line. Every run it describes is bounded: a count of connections
// and a time cap per run, a count of rounds, finite lists of concurrency levels.
#pragma once

#include <string>
#include <vector>

namespace ucspi::bench {

struct Options {
  std::string ours;       // our tcpserver
  std::string reference;  // djb's tcpserver
  std::string tcprules;   // djb's tcprules: compiles the rules both servers read
  std::string our_tcprules;  // the tcprules scenario's A
  std::vector<std::string> scenarios;   // in the order given
  std::vector<unsigned> concurrency;    // every scenario's table (but long's)
  std::vector<unsigned> curve;          // added to the scenarios named in curves
  std::vector<std::string> curves;
  std::vector<unsigned> long_concurrency;
  std::vector<unsigned long> tcprules_lines;  // the tcprules scenario's sizes, ascending
  std::string relay_allow;      // ours: makes the MySQL relay table, and the store curve's
  std::string relay_clear;      // ours: the store curve's
  std::string mariadb_fixture;  // tests/support/mariadb-fixture.sh
  unsigned mysql_latency_ms = 20;  // the delay proxy's round trip
  unsigned dns_latency_ms = 5;     // the scripted DNS server's, before each reply
  unsigned ident_latency_ms = 5;   // the scripted identd's
  std::vector<unsigned long> store_sizes;  // the store curve's, entries, ascending
  unsigned store_writers = 16;             // at once, at the largest size
  unsigned long store_rounds = 1000;       // relay-allow rounds a size, and the writers'
  unsigned long store_lookups = 200000;    // a size
  std::vector<std::string> softlimit_stores;  // the softlimit scenario's rows, in order
  unsigned long softlimit_step = 10000;       // its bisection's resolution, bytes
  unsigned long connections = 1000;     // per run
  unsigned rounds = 3;
  double seconds = 60;                  // cap per run
  std::string out = "tcpserver-bench.out";
};

// The scenarios there are, in their default order.
const std::vector<std::string>& scenario_names();
// Those run only when named: they need a MariaDB, or root (the lookups'), or take minutes
// (store-curve at 10^6 entries; softlimit, which also asks MariaDB by default).
const std::vector<std::string>& optional_scenario_names();

// Exits 100 with the usage on a bad command line. Defaults for the programs: tcpserver beside
// this program, and djb's under ../reference/ucspi-tcp/usr/bin as the compat suite unpacks it.
Options parse_options(int argc, char** argv);

}  // namespace ucspi::bench
