// A "database" that accepts TCP connections on 127.0.0.1 and never says a word: the
// black-holed or wedged server that stalled the classic patch's whole accept loop.
#pragma once

#include <atomic>
#include <thread>
#include <vector>

#include "rules/base/unique_fd.h"

namespace ucspi::test {

class HungServer {
 public:
  HungServer();
  ~HungServer();
  unsigned port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void serve();

  UniqueFd listener_;
  unsigned port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<UniqueFd> clients_;
  std::thread thread_;
};

}  // namespace ucspi::test
