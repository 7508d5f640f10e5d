// RAII owners for libevent objects, shared by tcpserver and the MySQL store (header only: the
// rules library itself does not link libevent). event_free() also removes a pending event, so
// dropping the pointer guarantees its callback never runs again.
#pragma once

#include <event2/dns.h>
#include <event2/event.h>

#include <memory>

namespace ucspi {

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;

struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
using EventPtr = std::unique_ptr<event, EventFree>;

struct EvdnsFree {
  // 0: pending requests are dropped without callbacks; we only free at exit.
  void operator()(evdns_base* d) const { evdns_base_free(d, 0); }
};
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsFree>;

inline timeval to_timeval(unsigned long milliseconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(milliseconds / 1000);
  tv.tv_usec = static_cast<suseconds_t>((milliseconds % 1000) * 1000);
  return tv;
}

}  // namespace ucspi
