// A loopback load generator for servers that run one process per connection (tcpserver and
// its kind): keeps N nonblocking connections in flight with epoll until a count of
// connections has finished or a time has passed. Each connection only reads until EOF: the
// server's program writes and exits, so connect -> EOF is the whole cost of one connection
// (accept, fork or vfork, exec, the program, exit). Used by tcpserver-bench and by tcpbench.
#pragma once

#include <netinet/in.h>

#include <functional>
#include <string>
#include <vector>

namespace ucspi::bench {

struct LoadSpec {
  sockaddr_in target{};       // from loopback_target(): never another machine
  unsigned concurrency = 1;
  unsigned long total = 1000;
  double seconds = 60;        // bound on the whole run
  double conn_timeout = 10;   // a connection still open after this counts as an error
  // 0: every connection from 127.0.0.1. N: the k-th from the k mod N-th address after
  // 127.1.0.0, as N different clients, for servers that look clients up (a server may share
  // one lookup among the connections of one address).
  unsigned sources = 0;
};

struct LoadResults {
  std::vector<double> latencies_us;  // connect -> EOF, successful connections only
  unsigned long errors = 0;          // refused, reset, timed out
  unsigned long empty = 0;           // EOF without a byte: denied or dropped by the server
  double elapsed_s = 0;
};

// address:port if address is in 127.0.0.0/8; throws std::runtime_error otherwise, since load
// tests stay on this machine.
sockaddr_in loopback_target(const std::string& address, unsigned port);

// Called from the load's loop at least every 20 ms with the count of connections finished so
// far, well or not: for sampling the server under load and for showing progress.
using LoadTick = std::function<void(unsigned long finished)>;

// Runs one bounded load. Throws std::runtime_error when the machine refuses a socket or epoll
// call.
LoadResults run_load(const LoadSpec& spec, const LoadTick& tick = {});

}  // namespace ucspi::bench
