// One server under test, running: a tcpserver (ours or the reference) started with -1 so that
// it prints its port, or the ceiling server forked from the harness. Stopped (its process
// group killed, the parent reaped) when the object goes.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {

struct ServerSpec {
  std::string label;               // as the table shows it: "ours", "djb", "ceiling", ...
  std::vector<std::string> argv;   // a tcpserver's whole command line; empty for the ceiling
  std::vector<std::string> child;  // the ceiling's program (tcpserver's is in argv)
  int backlog = 100;               // the ceiling's listen backlog
};

// The parent's footprint: memory as /proc/PID/status reports it, descriptors in /proc/PID/fd.
struct Memory {
  long rss_kib = 0;
  long vmsize_kib = 0;
  long fds = 0;
};

class ServerProcess {
 public:
  // Starts the server in workdir, its stderr in workdir/LABEL.log; returns once it listens.
  // Throws std::runtime_error (with the log's end) when it does not within 10 s.
  ServerProcess(const ServerSpec& spec, const std::string& workdir);

  const std::string& label() const { return label_; }
  unsigned port() const { return port_; }
  // Now; zeros once the process has gone.
  Memory memory() const;

 private:
  std::string label_;
  unsigned port_ = 0;
  ChildProcess process_;
};

}  // namespace ucspi::bench
