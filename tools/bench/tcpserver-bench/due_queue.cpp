#include "tools/bench/tcpserver-bench/due_queue.h"

#include <algorithm>

namespace ucspi::bench {

void DueQueue::at(Clock::time_point due, std::function<void()> reply) {
  if (pending_.size() < limit) pending_.emplace(due, std::move(reply));
}

timespec DueQueue::wait(Clock::duration cap) const {
  Clock::duration left = cap;
  if (!pending_.empty())
    left = std::clamp<Clock::duration>(pending_.begin()->first - Clock::now(),
                                       Clock::duration::zero(), cap);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

void DueQueue::run_due() {
  const auto now = Clock::now();
  while (!pending_.empty() && pending_.begin()->first <= now) {
    auto reply = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    reply();
  }
}

}  // namespace ucspi::bench
