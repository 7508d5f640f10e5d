// The listening socket: created for the address listen_address.h resolved, bound and listening,
// nonblocking and close-on-exec (no child inherits it). Failures are djb's fatal messages,
// "unable to bind: address already in use", thrown as ListenerError for main to print.
#pragma once

#include <string>

#include "rules/base/unique_fd.h"
#include "tcpserver/listen_address.h"

namespace ucspi {

struct ListenerError {
  std::string operation;  // "unable to bind"
  int err;
};

struct Listener {
  UniqueFd fd;
  unsigned short port = 0;  // the port bound, for -1 (the one asked for, or the kernel's choice)
};

// host may fall back from the dual-stack wildcard to 0.0.0.0 on a kernel without IPv6, as
// fefe's build does; it then holds the address bound.
Listener open_listener(HostResult& host, unsigned short port, unsigned long backlog);

}  // namespace ucspi
