// The peers a tcpserver without -H -R asks, scripted for the dns+ident scenarios, in the
// private network namespace (netns.h) where their fixed ports are the harness's own. Each reply
// goes latency after its query came, independently of the others (due_queue.h), and each query
// is counted in counts. Each runs in a process of its own, killed with the ChildProcess returned
// (its process group), and ends by itself after lifetime. Both throw std::runtime_error when
// they cannot bind their port or fork.
#pragma once

#include <chrono>

#include "tools/bench/tcpserver-bench/child_process.h"
#include "tools/bench/tcpserver-bench/lookup_counters.h"

namespace ucspi::bench {

// UDP on 127.0.0.1:53, where both tcpservers' DNSCACHEIP=127.0.0.1 sends them; answers as
// dns_reply.h says.
ChildProcess start_scripted_dns(std::chrono::microseconds latency, LookupCounters& counts,
                                std::chrono::seconds lifetime);

// RFC 1413 on port 113 of every address, since a tcpserver asks the client's own and the load
// comes from many: reads "PORT , PORT", answers "PORT , PORT : USERID : UNIX : bench", closes.
ChildProcess start_scripted_identd(std::chrono::microseconds latency, LookupCounters& counts,
                                   std::chrono::seconds lifetime);

}  // namespace ucspi::bench
