// tcpbench: a loopback load generator for tcpserver-style servers (one process per connection).
//
//   tcpbench -p PORT [-a 127.0.0.1] [-c CONCURRENCY] [-n TOTAL] [-t SECONDS] [-T CONN_TIMEOUT]
//
// Keeps CONCURRENCY nonblocking connections in flight with epoll until TOTAL connections have
// finished or SECONDS have passed. Each connection only reads until EOF: the server's program
// writes and exits, so connect -> EOF is the whole cost of one connection (accept, fork/spawn,
// exec, the program, exit). Prints one line of key=value figures for bench_tcpserver.py.
//
// Only loopback addresses are accepted: this is a load test, and load tests here stay on the
// machine.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  unsigned concurrency = 1;
  unsigned long total = 1000;
  double seconds = 60;       // bound on the whole run
  double conn_timeout = 10;  // a connection still open after this counts as an error
};

[[noreturn]] void usage() {
  std::fputs("tcpbench: usage: tcpbench -p port [-a 127.0.0.1] [-c concurrency] [-n total] "
             "[-t seconds] [-T conn_timeout]\n", stderr);
  std::exit(100);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tcpbench: fatal: %s: %s\n", what, std::strerror(errno));
  std::exit(111);
}

Options parse_options(int argc, char** argv) {
  Options o;
  int opt;
  while ((opt = getopt(argc, argv, "a:p:c:n:t:T:")) != -1) {
    switch (opt) {
      case 'a': o.address = optarg; break;
      case 'p': o.port = static_cast<unsigned>(std::strtoul(optarg, nullptr, 10)); break;
      case 'c': o.concurrency = static_cast<unsigned>(std::strtoul(optarg, nullptr, 10)); break;
      case 'n': o.total = std::strtoul(optarg, nullptr, 10); break;
      case 't': o.seconds = std::strtod(optarg, nullptr); break;
      case 'T': o.conn_timeout = std::strtod(optarg, nullptr); break;
      default: usage();
    }
  }
  if (o.port == 0 || o.port > 65535 || o.concurrency == 0 || o.total == 0) usage();
  return o;
}

// 127.0.0.0/8 only: never point load at another machine.
sockaddr_in loopback_target(const Options& o) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.address.c_str(), &sa.sin_addr) != 1 ||
      (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
    std::fprintf(stderr, "tcpbench: fatal: %s is not a 127.0.0.0/8 address\n", o.address.c_str());
    std::exit(100);
  }
  return sa;
}

struct Connection {
  Clock::time_point started;
  bool connected = false;
  std::size_t bytes = 0;
};

struct Results {
  std::vector<double> latencies_us;  // connect -> EOF, successful connections only
  unsigned long errors = 0;          // refused, reset, timed out
  unsigned long empty = 0;           // EOF without a byte: denied or dropped by the server
  double elapsed_s = 0;
};

class LoadGenerator {
 public:
  LoadGenerator(const Options& o, const sockaddr_in& target) : o_(o), target_(target) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ == -1) die("epoll_create1");
  }
  ~LoadGenerator() {
    for (auto& [fd, conn] : open_) close(fd);
    close(epfd_);
  }
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  Results run() {
    const auto begin = Clock::now();
    deadline_ = begin + to_duration(o_.seconds);
    while (true) {
      top_up();
      if (open_.empty()) break;
      wait_and_handle();
      expire_slow_connections();
    }
    results_.elapsed_s = std::chrono::duration<double>(Clock::now() - begin).count();
    return results_;
  }

 private:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  bool may_start() const {
    return started_ < o_.total && Clock::now() < deadline_;
  }

  // Keep `concurrency` connections in flight while the count and the time allow.
  void top_up() {
    while (open_.size() < o_.concurrency && may_start()) start_connection();
  }

  void start_connection() {
    ++started_;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) die("socket");
    Connection conn{Clock::now()};
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) == 0) {
      conn.connected = true;
    } else if (errno != EINPROGRESS) {
      ++results_.errors;
      close(fd);
      return;
    }
    // EPOLLOUT reports the end of the handshake; EPOLLIN the data and the EOF.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (conn.connected ? 0u : static_cast<unsigned>(EPOLLOUT));
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == -1) die("epoll_ctl");
    open_.emplace(fd, conn);
  }

  void wait_and_handle() {
    epoll_event events[256];
    const int n = epoll_wait(epfd_, events, 256, 100);
    if (n == -1) {
      if (errno == EINTR) return;
      die("epoll_wait");
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
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == -1) die("epoll_ctl");
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
    forget(fd);
  }

  void fail(int fd) {
    ++results_.errors;
    forget(fd);
  }

  void forget(int fd) {
    close(fd);  // close() also removes it from the epoll set
    open_.erase(fd);
  }

  void expire_slow_connections() {
    const auto limit = Clock::now() - to_duration(o_.conn_timeout);
    std::vector<int> slow;
    for (const auto& [fd, conn] : open_)
      if (conn.started < limit) slow.push_back(fd);
    for (int fd : slow) fail(fd);
  }

  const Options o_;
  const sockaddr_in target_;
  int epfd_ = -1;
  Clock::time_point deadline_;
  unsigned long started_ = 0;
  std::unordered_map<int, Connection> open_;
  Results results_;
};

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

void print_results(const Results& r) {
  std::vector<double> sorted = r.latencies_us;
  std::sort(sorted.begin(), sorted.end());
  const double done = static_cast<double>(sorted.size());
  std::printf("conns=%zu errors=%lu empty=%lu elapsed_s=%.3f conn_per_s=%.1f "
              "p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
              sorted.size(), r.errors, r.empty, r.elapsed_s,
              r.elapsed_s > 0 ? done / r.elapsed_s : 0.0, percentile(sorted, 50),
              percentile(sorted, 90), percentile(sorted, 99), sorted.empty() ? 0.0 : sorted.back());
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  const sockaddr_in target = loopback_target(o);
  LoadGenerator generator(o, target);
  print_results(generator.run());
  return 0;
}
