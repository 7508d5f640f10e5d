#include "tests/mysql/event_loop.h"

#include <catch2/catch.hpp>
#include <optional>

namespace ucspi::test {

using Clock = std::chrono::steady_clock;

EventLoop::EventLoop() : base_(event_base_new()) { REQUIRE(base_ != nullptr); }

EventLoop::~EventLoop() {
  ticker_.reset();
  event_base_free(base_);
}

bool EventLoop::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  // A wake-up every 5 ms so the condition is checked even when nothing else happens.
  EventPtr wake(event_new(base_, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr));
  timeval tv = to_timeval(5);
  event_add(wake.get(), &tv);
  while (!done()) {
    if (Clock::now() >= end) return false;
    event_base_loop(base_, EVLOOP_ONCE);
  }
  return true;
}

void EventLoop::run_for(std::chrono::milliseconds span) {
  run_until([] { return false; }, span);
}

void EventLoop::start_ticker() {
  ticker_.reset(event_new(base_, -1, EV_PERSIST, &on_tick, this));
  timeval tv = to_timeval(10);
  event_add(ticker_.get(), &tv);
  last_tick_ = Clock::now();
  max_gap_ = std::chrono::milliseconds(0);
}

void EventLoop::on_tick(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  auto now = Clock::now();
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(now - loop->last_tick_);
  if (gap > loop->max_gap_) loop->max_gap_ = gap;
  loop->last_tick_ = now;
}

LoginAnswer login_now(EventLoop& loop, LoginLookup& store, const std::string& ip,
                      std::chrono::milliseconds limit) {
  std::optional<LoginAnswer> answer;
  store.lookup(ip, [&answer](LoginAnswer got) { answer = std::move(got); });
  if (!loop.run_until([&answer] { return answer.has_value(); }, limit)) {
    FAIL("lookup of " << ip << " not answered within " << limit.count() << " ms");
  }
  return *answer;
}

std::string describe(const LoginAnswer& answer) {
  switch (answer.status) {
    case LoginAnswer::Status::found: return "found " + format_last_login(answer.login);
    case LoginAnswer::Status::absent: return "absent";
    case LoginAnswer::Status::unavailable: return "unavailable: " + answer.reason;
    case LoginAnswer::Status::refused: return "refused: " + answer.reason;
  }
  return "?";
}

}  // namespace ucspi::test
