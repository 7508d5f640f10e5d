#include "tools/bench/tcpserver-bench/scripted_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "tools/bench/tcpserver-bench/due_queue.h"

namespace ucspi::bench {
namespace {

// Clients at once: far above the load's top level; past it, new ones wait in the backlog.
constexpr std::size_t max_clients = 2048;
// RFC 1413 queries are short; a longer line is no query, and its client is dropped.
constexpr std::size_t max_query = 64;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("scripted identd: " + what + ": " + error_str(errno));
}

UniqueFd listen_port_113() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) fail("unable to make a socket");
  const int on = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_ANY);  // only lo exists in the namespace
  sa.sin_port = htons(113);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == -1)
    fail("unable to bind port 113");
  if (listen(fd.get(), 1024) == -1) fail("unable to listen");
  return fd;
}

struct Client {
  UniqueFd fd;
  std::string query;
  bool answered = false;  // its reply is queued: nothing more is read
};

class Identd {
 public:
  Identd(int listener, std::chrono::microseconds latency, LookupCounters& counts)
      : listener_(listener), latency_(latency), counts_(counts) {}

  void serve(std::chrono::seconds lifetime) {
    const auto end = DueQueue::Clock::now() + lifetime;
    while (DueQueue::Clock::now() < end) {
      std::vector<pollfd> fds;
      if (clients_.size() < max_clients) fds.push_back({listener_, POLLIN, 0});
      for (const auto& [fd, client] : clients_)
        if (!client.answered) fds.push_back({fd, POLLIN, 0});
      const timespec wait = replies_.wait(std::chrono::seconds(1));
      if (ppoll(fds.data(), fds.size(), &wait, nullptr) == -1 && errno != EINTR) fail("poll failed");
      replies_.run_due();
      for (const pollfd& p : fds) {
        if (!p.revents) continue;
        if (p.fd == listener_) accept_one();
        else read_query(p.fd);
      }
    }
  }

 private:
  void accept_one() {
    UniqueFd fd(accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd) {
      const int key = fd.get();
      clients_.emplace(key, Client{std::move(fd), {}, false});
    }
  }

  void read_query(int fd) {
    Client& c = clients_.at(fd);
    char buf[128];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      clients_.erase(fd);
      return;
    }
    c.query.append(buf, static_cast<std::size_t>(n));
    const auto newline = c.query.find('\n');
    if (newline == std::string::npos) {
      if (c.query.size() > max_query) clients_.erase(fd);
      return;
    }
    std::string ports = c.query.substr(0, newline);
    while (!ports.empty() && (ports.back() == '\r' || ports.back() == ' ')) ports.pop_back();
    c.answered = true;
    counts_.count(LookupCounters::ident);
    std::string reply = ports + " : USERID : UNIX : bench\r\n";
    replies_.at(DueQueue::Clock::now() + latency_, [this, fd, reply = std::move(reply)] {
      // The tcpserver's whole answer is this one short write; then EOF, as an identd closes.
      (void)!write(fd, reply.data(), reply.size());
      clients_.erase(fd);
    });
  }

  int listener_;
  std::chrono::microseconds latency_;
  LookupCounters& counts_;
  std::map<int, Client> clients_;
  DueQueue replies_;
};

}  // namespace

ChildProcess start_scripted_identd(std::chrono::microseconds latency, LookupCounters& counts,
                                   std::chrono::seconds lifetime) {
  const UniqueFd listener = listen_port_113();
  return ChildProcess::fork_function(
      [&] { Identd(listener.get(), latency, counts).serve(lifetime); }, {});
}

}  // namespace ucspi::bench
