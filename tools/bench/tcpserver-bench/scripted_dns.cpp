#include "tools/bench/tcpserver-bench/scripted_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "tools/bench/tcpserver-bench/dns_reply.h"
#include "tools/bench/tcpserver-bench/due_queue.h"

namespace ucspi::bench {
namespace {

UniqueFd bind_port_53() {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(53);
  if (!fd || bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == -1)
    throw std::runtime_error("scripted DNS server: unable to bind 127.0.0.1:53: " +
                             std::string(error_str(errno)));
  return fd;
}

void serve(int fd, std::chrono::microseconds latency, LookupCounters& counts,
           std::chrono::seconds lifetime) {
  const auto end = DueQueue::Clock::now() + lifetime;
  DueQueue replies;
  while (DueQueue::Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const timespec wait = replies.wait(std::chrono::seconds(1));
    if (ppoll(&p, 1, &wait, nullptr) == -1 && errno != EINTR)
      throw std::runtime_error("scripted DNS server: poll failed: " + std::string(error_str(errno)));
    replies.run_due();
    if (!(p.revents & POLLIN)) continue;
    char buf[512];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) continue;
    auto reply = dns_reply(std::string_view(buf, static_cast<std::size_t>(n)));
    if (!reply) continue;
    counts.count(reply->kind);
    replies.at(DueQueue::Clock::now() + latency, [fd, from, packet = std::move(reply->packet)] {
      // A lost reply is the resolver's to retry, as with any UDP name server.
      sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&from),
             sizeof from);
    });
  }
}

}  // namespace

ChildProcess start_scripted_dns(std::chrono::microseconds latency, LookupCounters& counts,
                                std::chrono::seconds lifetime) {
  const UniqueFd fd = bind_port_53();
  return ChildProcess::fork_function([&] { serve(fd.get(), latency, counts, lifetime); }, {});
}

}  // namespace ucspi::bench
