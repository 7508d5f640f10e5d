// A network namespace of the harness's own for the dns+ident scenarios: their scripted DNS
// server and identd must have 127.0.0.1:53 and port 113, which the host's other tests (and
// every tcpserver without -R) use too. Only the thread that runs body enters it: the other
// scenarios, run before or after on the main thread, keep the host's loopback.
#pragma once

#include <functional>

namespace ucspi::bench {

// Runs body on a new thread that has first unshared its network namespace and brought its
// loopback up; everything body forks (servers, scripted peers) and every socket it opens is
// in that namespace. Returns when body has; rethrows what body throws. Throws
// std::runtime_error, saying so, when the namespace cannot be made (it takes root).
void run_in_private_network(const std::function<void()>& body);

}  // namespace ucspi::bench
