// A TCP proxy with latency, for the mysql+20ms scenario: forwards 127.0.0.1:port() to
// 127.0.0.1:target, holding every chunk half the round trip on its way in each direction, as
// a database across a WAN link would answer. Runs in a process of its own (a thread per
// direction of each connection: the store opens few), killed with its owner.
#pragma once

#include <chrono>

#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {

class DelayProxy {
 public:
  // Throws std::runtime_error when it cannot listen or fork.
  DelayProxy(unsigned target_port, std::chrono::milliseconds round_trip);
  unsigned port() const { return port_; }

 private:
  ChildProcess process_;
  unsigned port_ = 0;
};

}  // namespace ucspi::bench
