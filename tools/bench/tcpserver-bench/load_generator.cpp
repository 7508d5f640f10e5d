#include "tools/bench/tcpserver-bench/load_generator.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"

namespace ucspi::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail_sys(const char* what) {
  throw std::runtime_error(std::string(what) + " failed: " + error_str(errno));
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

struct Connection {
  UniqueFd fd;
  Clock::time_point started;
  bool connected = false;
  std::size_t bytes = 0;
};

class LoadGenerator {
 public:
  LoadGenerator(const LoadSpec& spec, const LoadTick& tick)
      : spec_(spec), tick_(tick), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) fail_sys("epoll_create1");
  }

  LoadResults run() {
    const auto begin = Clock::now();
    deadline_ = begin + to_duration(spec_.seconds);
    auto next_tick = begin;
    while (true) {
      top_up();
      if (open_.empty()) break;
      wait_and_handle();
      expire_slow_connections();
      if (tick_ && Clock::now() >= next_tick) {
        tick_(results_.latencies_us.size() + results_.errors);
        next_tick = Clock::now() + std::chrono::milliseconds(20);
      }
    }
    results_.elapsed_s = std::chrono::duration<double>(Clock::now() - begin).count();
    return std::move(results_);
  }

 private:
  bool may_start() const { return started_ < spec_.total && Clock::now() < deadline_; }

  // Keep `concurrency` connections in flight while the count and the time allow.
  void top_up() {
    while (open_.size() < spec_.concurrency && may_start()) start_connection();
  }

  void start_connection() {
    ++started_;
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) fail_sys("socket");
    if (spec_.sources) bind_source(fd.get(), (started_ - 1) % spec_.sources);
    Connection conn{UniqueFd(), Clock::now()};
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&spec_.target), sizeof spec_.target) == 0) {
      conn.connected = true;
    } else if (errno != EINPROGRESS) {
      ++results_.errors;
      return;
    }
    // EPOLLOUT reports the end of the handshake; EPOLLIN the data and the EOF.
    watch(fd.get(), EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP | (conn.connected ? 0u : unsigned{EPOLLOUT}));
    const int key = fd.get();
    conn.fd = std::move(fd);
    open_.emplace(key, std::move(conn));
  }

  static void bind_source(int fd, unsigned long index) {
    // The port is picked at connect, per destination: thousands of sources cannot run the
    // ephemeral ports out as a bind to port 0 of each would.
    const int on = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(static_cast<uint32_t>((127u << 24 | 1u << 16) + 1 + index));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) == -1) fail_sys("bind");
  }

  void watch(int fd, int op, unsigned events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_.get(), op, fd, &ev) == -1) fail_sys("epoll_ctl");
  }

  void wait_and_handle() {
    epoll_event events[256];
    const int n = epoll_wait(epoll_.get(), events, 256, 20);
    if (n == -1) {
      if (errno == EINTR) return;
      fail_sys("epoll_wait");
    }
    for (int i = 0; i < n; ++i) handle(events[i].data.fd, events[i].events);
  }

  void handle(int fd, uint32_t events) {
    auto it = open_.find(fd);
    if (it == open_.end()) return;
    Connection& conn = it->second;
    if (!conn.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      if (!finish_connect(fd, conn)) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_until_blocked(fd, conn);
  }

  // The handshake is over: keep the connection if it worked, stop watching for writability.
  bool finish_connect(int fd, Connection& conn) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err != 0) {
      fail(fd);
      return false;
    }
    conn.connected = true;
    watch(fd, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
    return true;
  }

  void read_until_blocked(int fd, Connection& conn) {
    char buf[4096];
    while (true) {
      const ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        conn.bytes += static_cast<std::size_t>(r);
        continue;
      }
      if (r == 0) return succeed(fd, conn);
      if (errno == EAGAIN || errno == EINTR) return;
      return fail(fd);
    }
  }

  void succeed(int fd, const Connection& conn) {
    const auto us = std::chrono::duration<double, std::micro>(Clock::now() - conn.started);
    results_.latencies_us.push_back(us.count());
    if (conn.bytes == 0) ++results_.empty;
    open_.erase(fd);  // closing the socket also takes it out of the epoll set
  }

  void fail(int fd) {
    ++results_.errors;
    open_.erase(fd);
  }

  void expire_slow_connections() {
    const auto limit = Clock::now() - to_duration(spec_.conn_timeout);
    std::erase_if(open_, [&](const auto& entry) {
      if (entry.second.started >= limit) return false;
      ++results_.errors;
      return true;
    });
  }

  const LoadSpec spec_;
  const LoadTick& tick_;
  UniqueFd epoll_;
  Clock::time_point deadline_;
  unsigned long started_ = 0;
  std::unordered_map<int, Connection> open_;
  LoadResults results_;
};

}  // namespace

sockaddr_in loopback_target(const std::string& address, unsigned port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (port == 0 || port > 65535 || inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
    throw std::runtime_error(address + " port " + std::to_string(port) +
                             " is not a 127.0.0.0/8 address and port");
  return sa;
}

LoadResults run_load(const LoadSpec& spec, const LoadTick& tick) {
  return LoadGenerator(spec, tick).run();
}

}  // namespace ucspi::bench
