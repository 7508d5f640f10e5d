// Reads one PROXY protocol header (proxy_header.h) from a trusted balancer's connection on the
// event loop, never blocking, within one timeout (-Y) for the whole header. It takes exactly the
// header's bytes off the socket: each read first peeks, lets the parser judge, then consumes
// only what the parser says is header, so the child starts at the client's first byte.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "rules/event/event_handles.h"
#include "tcpserver/proxy_header.h"

namespace ucspi {

class ProxyReader {
 public:
  // done gets the header, or the reason there is none (a static text or an errno's). Called at
  // most once, never after the reader is destroyed, possibly before start() returns.
  struct Outcome {
    bool ok = false;
    ProxyHeader header;  // ok
    std::string why;     // !ok
  };
  using Done = std::function<void(Outcome)>;

  ProxyReader(event_base* base, int fd, unsigned long timeout_seconds, Done done);
  ProxyReader(const ProxyReader&) = delete;
  ProxyReader& operator=(const ProxyReader&) = delete;

  void start();

 private:
  static void on_readable(evutil_socket_t, short, void* self);
  static void on_timeout(evutil_socket_t, short, void* self);
  void read_some();
  bool consume(std::size_t count);  // false: the socket would not give back what it showed
  void fail(std::string why);
  void finish(Outcome outcome);

  event_base* base_;
  int fd_;
  unsigned long timeout_seconds_;
  Done done_;
  EventPtr io_;
  EventPtr timer_;
  std::string seen_;  // the header's bytes consumed so far
};

}  // namespace ucspi
