// Many connections to a server open at the same time, each holding its first line from the
// server: how the softlimit scenario checks that a tcpserver serves them all at once. (The
// load generator's connections each end at the child's EOF; these children wait for the
// client to close, so that the parent has them all open while its memory is read.)
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "rules/base/unique_fd.h"

namespace ucspi::bench {

class HeldConnections {
 public:
  // Opens count connections to 127.0.0.1:port, all of them before reading any, then reads
  // each one's first line (up to its newline, its EOF or the timeout, whichever comes first).
  // A connection refused or timed out has an empty line. Throws std::runtime_error when the
  // harness cannot make a socket.
  HeldConnections(unsigned port, unsigned count, std::chrono::milliseconds timeout);

  // How many answered exactly line (its newline included).
  unsigned answered(const std::string& line) const;

 private:
  void read_lines(std::chrono::steady_clock::time_point deadline);

  std::vector<UniqueFd> sockets_;  // closed when the object goes: the children then exit
  std::vector<std::string> lines_;
};

}  // namespace ucspi::bench
