// The files the servers read: the rules cdbs, compiled by the reference tcprules so that ours
// and djb's read the very same bytes, and the roaming store. They live in a temporary
// directory that goes, with everything in it, when the harness ends.
#pragma once

#include <memory>
#include <string>

#include "tools/bench/tcpserver-bench/signal_cleanup.h"

namespace ucspi::bench {

class WorkDir {
 public:
  WorkDir();  // a new directory under $TMPDIR (or /tmp); throws std::runtime_error
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  ~WorkDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<SignalCleanup> on_signal_;  // rm -rf, when a signal skips the destructor
};

struct BenchFiles {
  std::string rules_cdb;        // a site's tcp.smtp; 127.0.0.1 gets RELAYCLIENT from a rule
  std::string store_rules_cdb;  // the same, but no rule lets 127.0.0.1 relay: the store is asked
  std::string tiny_rules_cdb;   // 127.0.0.2 denied, the rest allowed: the softlimit scenario's
  std::string store_spec;       // cdb:PATH, 10,000 entries, 127.0.0.1 among them
  std::string relay_ctrl_spec;  // relay-ctrl:DIR, the same entries, a file each
  std::string mysql_spec;          // mysql:CONF, when a mysql scenario runs: the same entries
  std::string mysql_delayed_spec;  // mysql:CONF through the delay proxy
  unsigned mysql_latency_ms = 0;
};

// Writes and compiles them in dir. Throws std::runtime_error.
BenchFiles prepare_files(const std::string& dir, const std::string& tcprules);

}  // namespace ucspi::bench
