#include "tools/bench/tcpserver-bench/delay_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <thread>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "rules/base/write_all.h"
#include "tools/bench/tcpserver-bench/ceiling_server.h"

namespace ucspi::bench {
namespace {

// Both ends of one proxied connection, shared by its two pumps: closed when both are done.
struct Link {
  UniqueFd client;
  UniqueFd upstream;
};

UniqueFd connect_loopback(unsigned port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (!fd || connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == -1)
    return UniqueFd();
  return fd;
}

// src to dst, each chunk held delay first. At src's end, dst's end too, so that the other
// side sees what a direct connection would show it.
void pump(std::shared_ptr<Link> link, bool upward, std::chrono::microseconds delay) {
  const int src = upward ? link->client.get() : link->upstream.get();
  const int dst = upward ? link->upstream.get() : link->client.get();
  char buf[65536];
  while (true) {
    const ssize_t n = read(src, buf, sizeof buf);
    if (n <= 0) break;
    std::this_thread::sleep_for(delay);
    if (write_all(dst, std::string_view(buf, static_cast<std::size_t>(n))) == -1) break;
  }
  shutdown(dst, SHUT_WR);
  shutdown(src, SHUT_RD);
}

[[noreturn]] void serve(const Listener& listener, unsigned target, std::chrono::microseconds half) {
  while (true) {
    UniqueFd client(accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw std::runtime_error("delay proxy: accept failed: " + std::string(error_str(errno)));
    }
    UniqueFd upstream = connect_loopback(target);
    if (!upstream) continue;  // the client sees the database refuse, as it would direct
    auto link = std::make_shared<Link>(Link{std::move(client), std::move(upstream)});
    std::thread(pump, link, true, half).detach();
    std::thread(pump, link, false, half).detach();
  }
}

}  // namespace

DelayProxy::DelayProxy(unsigned target_port, std::chrono::milliseconds round_trip) {
  const Listener listener = listen_on_loopback(64);
  const auto half = std::chrono::duration_cast<std::chrono::microseconds>(round_trip) / 2;
  process_ = ChildProcess::fork_function([&] { serve(listener, target_port, half); }, {});
  port_ = listener.port;
}

}  // namespace ucspi::bench
