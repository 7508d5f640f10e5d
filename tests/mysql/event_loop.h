// A libevent loop for tests: run until a condition holds, and measure how long the loop was
// ever kept from turning (the store must never block it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mysql/login_lookup.h"
#include "mysql/mysql_handles.h"

namespace ucspi::test {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  event_base* base() const { return base_; }

  // Turns the loop until `done` or `limit`; true if `done`.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit);
  void run_for(std::chrono::milliseconds span);

  // A 10 ms ticker records the longest gap between ticks while it runs.
  void start_ticker();
  std::chrono::milliseconds max_tick_gap() const { return max_gap_; }

 private:
  static void on_tick(evutil_socket_t, short, void* self);

  event_base* base_;
  EventPtr ticker_;
  std::chrono::steady_clock::time_point last_tick_{};
  std::chrono::milliseconds max_gap_{0};
};

// One lookup run to completion on the loop (fails the test after `limit`).
LoginAnswer login_now(EventLoop& loop, LoginLookup& store, const std::string& ip,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(3000));

// "found 1700000000", "found permanent", "absent", "unavailable: REASON", "refused: REASON":
// one string, so a failed CHECK shows the whole answer.
std::string describe(const LoginAnswer& answer);

}  // namespace ucspi::test
