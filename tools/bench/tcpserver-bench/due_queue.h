// The scripted DNS server's and identd's replies, each held until its own moment: a reply is
// due its latency after its query came, whatever else is waiting, so that many clients at once
// are answered in parallel (a sleep in the single-threaded loop would queue them one behind
// the other and measure the scripted server instead of the tcpserver).
#pragma once

#include <time.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>

namespace ucspi::bench {

class DueQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Drops the reply (the client's own timeout then counts it) past limit waiting ones: the
  // queue is bounded whatever a client sends.
  void at(Clock::time_point due, std::function<void()> reply);
  // How long to wait for the next query: until the first reply is due (zero if one is), at
  // most cap; cap when none waits. For ppoll, whose timeout is finer than poll's milliseconds,
  // so that the latency is the one asked for, not rounded up to the next millisecond.
  timespec wait(Clock::duration cap) const;
  void run_due();
  static constexpr std::size_t limit = 100000;

 private:
  std::multimap<Clock::time_point, std::function<void()>> pending_;
};

}  // namespace ucspi::bench
