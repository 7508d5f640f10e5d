// One server under test, running: a tcpserver (ours or the reference) started with -1 so that
// it prints its port, or the ceiling server forked from the harness. Stopped (its process
// group killed, the parent reaped) when the object goes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {

struct ServerSpec {
  std::string label;               // as the table shows it: "ours", "djb", "ceiling", ...
  std::vector<std::string> argv;   // a tcpserver's whole command line; empty for the ceiling
  std::vector<std::string> child;  // the ceiling's program (tcpserver's is in argv)
  int backlog = 100;               // the ceiling's listen backlog
  unsigned long memory_limit = 0;  // a tcpserver's `softlimit -m` (ChildProcess::spawn); 0: none
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
  // The same for a tcpserver that may well fail to start (under a memory limit): nothing when
  // it exits or stays silent for 10 s before it listens. Throws only for the harness's own
  // failures (its log, a pipe, fork).
  static std::optional<ServerProcess> start_if_it_can(const ServerSpec& spec,
                                                      const std::string& workdir);

  const std::string& label() const { return label_; }
  unsigned port() const { return port_; }
  // Now; zeros once the process has gone.
  Memory memory() const;
  // Whether it has exited (then reaped, with its process group killed).
  bool exited();

 private:
  struct MayFail {};
  ServerProcess(const ServerSpec& spec, const std::string& workdir, MayFail);

  std::string label_;
  unsigned port_ = 0;
  ChildProcess process_;
};

}  // namespace ucspi::bench
