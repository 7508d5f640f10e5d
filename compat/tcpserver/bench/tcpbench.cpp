// tcpbench: a loopback load generator for tcpserver-style servers (one process per connection),
// for the scripts that want one run's figures on one line (tests/tcpserver/soak_test.py).
// tcpserver-bench (tools/bench/tcpserver-bench) drives the same load generator itself.
//
//   tcpbench -p PORT [-a 127.0.0.1] [-c CONCURRENCY] [-n TOTAL] [-t SECONDS] [-T CONN_TIMEOUT]
//
// Keeps CONCURRENCY nonblocking connections in flight until TOTAL connections have finished or
// SECONDS have passed, then prints one line of key=value figures. Only loopback addresses are
// accepted: load tests here stay on the machine.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "rules/base/messages.h"
#include "tools/bench/tcpserver-bench/latency_stats.h"
#include "tools/bench/tcpserver-bench/load_generator.h"

namespace {

struct Options {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  ucspi::bench::LoadSpec load;
};

[[noreturn]] void usage() {
  ucspi::die(100, {"tcpbench: usage: tcpbench -p port [-a 127.0.0.1] [-c concurrency] [-n total] "
                   "[-t seconds] [-T conn_timeout]"});
}

Options parse_options(int argc, char** argv) {
  Options o;
  int opt;
  while ((opt = getopt(argc, argv, "a:p:c:n:t:T:")) != -1) {
    switch (opt) {
      case 'a': o.address = optarg; break;
      case 'p': o.port = static_cast<unsigned>(std::strtoul(optarg, nullptr, 10)); break;
      case 'c': o.load.concurrency = static_cast<unsigned>(std::strtoul(optarg, nullptr, 10)); break;
      case 'n': o.load.total = std::strtoul(optarg, nullptr, 10); break;
      case 't': o.load.seconds = std::strtod(optarg, nullptr); break;
      case 'T': o.load.conn_timeout = std::strtod(optarg, nullptr); break;
      default: usage();
    }
  }
  if (o.port == 0 || o.port > 65535 || o.load.concurrency == 0 || o.load.total == 0) usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  try {
    o.load.target = ucspi::bench::loopback_target(o.address, o.port);
    const auto s = ucspi::bench::summarize(ucspi::bench::run_load(o.load));
    std::printf("conns=%lu errors=%lu empty=%lu elapsed_s=%.3f conn_per_s=%.1f "
                "p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
                s.conns, s.errors, s.empty, s.elapsed_s, s.conn_per_s, s.p50_us, s.p90_us,
                s.p99_us, s.max_us);
  } catch (const std::exception& e) {
    ucspi::die(111, {"tcpbench: fatal: ", e.what()});
  }
  return 0;
}
