#include "tools/bench/tcpserver-bench/held_connections.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "rules/base/error_str.h"
#include "tools/bench/tcpserver-bench/load_generator.h"

namespace ucspi::bench {
namespace {

// A blocking connect, bounded: on Linux SO_SNDTIMEO also bounds connect(2), should the
// server's backlog be full and the SYN dropped. An invalid descriptor when it fails.
UniqueFd connect_bounded(const sockaddr_in& target, std::chrono::milliseconds timeout) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("unable to make a socket: ") + error_str(errno));
  const timeval bound{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target) == -1)
    return UniqueFd();
  return fd;
}

bool complete(const std::string& line) { return !line.empty() && line.back() == '\n'; }

}  // namespace

HeldConnections::HeldConnections(unsigned port, unsigned count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const sockaddr_in target = loopback_target("127.0.0.1", port);
  for (unsigned n = 0; n < count; ++n) sockets_.push_back(connect_bounded(target, timeout));
  lines_.resize(count);
  read_lines(deadline);
}

// One poll over every connection still reading, until each has its line, or its EOF, or the
// deadline has come.
void HeldConnections::read_lines(std::chrono::steady_clock::time_point deadline) {
  std::vector<bool> reading(sockets_.size());
  for (std::size_t i = 0; i < sockets_.size(); ++i) reading[i] = sockets_[i].valid();
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < sockets_.size(); ++i)
      if (reading[i]) {
        polls.push_back({sockets_[i].get(), POLLIN, 0});
        which.push_back(i);
      }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (polls.empty() || left.count() <= 0) return;
    const int ready = poll(polls.data(), polls.size(), static_cast<int>(left.count()));
    if (ready == -1 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + error_str(errno));
    for (std::size_t k = 0; ready > 0 && k < polls.size(); ++k) {
      if (polls[k].revents == 0) continue;
      const std::size_t i = which[k];
      char buf[64];
      const ssize_t n = read(sockets_[i].get(), buf, sizeof buf);
      if (n == -1 && errno == EINTR) continue;
      if (n > 0) lines_[i].append(buf, static_cast<std::size_t>(n));
      if (n <= 0 || complete(lines_[i])) reading[i] = false;
    }
  }
}

unsigned HeldConnections::answered(const std::string& line) const {
  return static_cast<unsigned>(std::count(lines_.begin(), lines_.end(), line));
}

}  // namespace ucspi::bench
