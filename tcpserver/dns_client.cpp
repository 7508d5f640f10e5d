#include "tcpserver/dns_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <string_view>

#include "rules/base/ip_address.h"
#include "rules/base/read_regular_file.h"
#include "rules/event/callback_guard.h"
#include "tcpserver/dns_packet.h"
#include "tcpserver/socket_address.h"

namespace ucspi {

struct DnsClient::Query {
  DnsClient* owner = nullptr;
  std::uint16_t id = 0;
  std::string name;
  std::uint16_t type = 0;
  Done done;
  std::string packet;
  unsigned attempt = 0;
  EventPtr timer;
  UniqueFd tcp;
  EventPtr tcp_event;
  std::string tcp_out;  // what is left to send: the length and the query
  std::string tcp_in;

  const sockaddr_storage& server() const {
    return owner->servers_[attempt % owner->servers_.size()];
  }
};

namespace {

constexpr std::uint16_t dns_port = 53;
// djb's dns_transmit reads a UDP reply into 513 bytes and ignores one that fills them: a reply
// over 512 bytes (a query without EDNS0 never asks for more) is no reply; the timer runs on.
constexpr std::size_t max_udp_reply = 512;
// djb's dns_transmit: a UDP question waits 1, 3, 11 (then 45) s, each round asked of every
// server in turn; over TCP, 10 s. Its first three rounds: a lost packet costs a second, as with
// djb's, and a dead cache 15 s a server rather than djb's 60.
constexpr unsigned long udp_round_ms[] = {1000, 3000, 11000};
constexpr unsigned rounds = std::size(udp_round_ms);
constexpr unsigned long tcp_attempt_ms = 10000;

std::optional<sockaddr_storage> server_address(std::string_view text) {
  if (auto v4 = parse_ip4(text)) return socket_address(*v4, dns_port);
  if (auto v6 = parse_ip6(text)) return socket_address(*v6, dns_port);
  return std::nullopt;
}

// djb's: $DNSCACHEIP is a list of IPv4 addresses (blanks, commas or tabs between them).
std::vector<sockaddr_storage> dnscache_servers() {
  std::vector<sockaddr_storage> out;
  const char* env = std::getenv("DNSCACHEIP");
  if (!env) return out;
  std::string_view rest = env;
  while (!rest.empty()) {
    const std::size_t end = rest.find_first_of(" ,\t");
    const std::string_view word = rest.substr(0, end);
    if (parse_ip4(word))
      if (auto a = server_address(word)) out.push_back(*a);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return out;
}

// Read without iostreams: <fstream> links libstdc++'s locale machinery into the static
// tcpserver, half a megabyte of address space that softlimit -m counts (BENCHMARKS.md).
std::vector<sockaddr_storage> resolv_conf_servers() {
  std::vector<sockaddr_storage> out;
  std::string text;
  if (!read_regular_file("/etc/resolv.conf", text).empty()) return out;
  std::string_view lines = text;
  while (!lines.empty()) {
    const std::size_t nl = lines.find('\n');
    std::string_view rest = lines.substr(0, nl);
    lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
    if (!rest.starts_with("nameserver")) continue;
    rest.remove_prefix(10);
    const std::size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) continue;
    rest.remove_prefix(start);
    rest = rest.substr(0, rest.find_first_of(" \t\r%"));
    if (auto a = server_address(rest)) out.push_back(*a);
  }
  return out;
}

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family || port_of(a) != port_of(b)) return false;
  if (is_v4(a)) return std::memcmp(&as_v4(a).sin_addr, &as_v4(b).sin_addr, 4) == 0;
  return std::memcmp(&as_v6(a).sin6_addr, &as_v6(b).sin6_addr, 16) == 0;
}

void arm(event* e, unsigned long ms) {
  const timeval tv = to_timeval(ms);
  evtimer_add(e, &tv);
}

}  // namespace

std::vector<sockaddr_storage> dns_servers() {
  std::vector<sockaddr_storage> servers = dnscache_servers();
  if (servers.empty()) servers = resolv_conf_servers();
  if (servers.empty()) servers.push_back(*server_address("127.0.0.1"));
  return servers;
}

DnsClient::DnsClient(event_base* base, std::vector<sockaddr_storage> servers, const Logger& log)
    : base_(base), servers_(std::move(servers)), log_(log), ids_(std::random_device{}()) {}

DnsClient::~DnsClient() = default;

std::uint16_t DnsClient::fresh_id() {
  for (;;) {
    const auto id = static_cast<std::uint16_t>(ids_() & 0xffff);
    if (!queries_.contains(id)) return id;
  }
}

void DnsClient::ask(std::string name, std::uint16_t type, Done done) {
  auto q = std::make_unique<Query>();
  q->owner = this;
  q->id = fresh_id();
  q->packet = dns_query(q->id, name, type);
  q->name = std::move(name);
  q->type = type;
  q->done = std::move(done);
  q->timer.reset(evtimer_new(base_, &DnsClient::on_timer, q.get()));
  if (!q->timer) throw std::bad_alloc();
  Query& query = *q;
  queries_.emplace(query.id, std::move(q));
  if (servers_.empty()) return arm(query.timer.get(), 0);  // fails from the loop, not here
  send_attempt(query);
}

int DnsClient::udp_socket(int family) {
  UniqueFd& fd = family == AF_INET ? udp4_ : udp6_;
  EventPtr& ev = family == AF_INET ? udp4_event_ : udp6_event_;
  if (fd) return fd.get();
  UniqueFd made(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!made) return -1;
  EventPtr made_event(event_new(base_, made.get(), EV_READ | EV_PERSIST, &DnsClient::on_udp, this));
  if (!made_event || event_add(made_event.get(), nullptr) != 0) return -1;
  fd = std::move(made);
  ev = std::move(made_event);
  return fd.get();
}

void DnsClient::send_attempt(Query& q) {
  q.tcp_event.reset();
  q.tcp.reset();
  const sockaddr_storage& to = q.server();
  const int fd = udp_socket(to.ss_family);
  const bool sent = fd >= 0 && ::sendto(fd, q.packet.data(), q.packet.size(), 0, as_sockaddr(to),
                                        length_of(to)) == static_cast<ssize_t>(q.packet.size());
  // A send that failed (no route, no socket) moves on from the loop, like a timeout.
  arm(q.timer.get(), sent ? udp_round_ms[q.attempt / servers_.size()] : 0);
}

void DnsClient::next_attempt(Query& q) {
  if (++q.attempt >= rounds * servers_.size()) return finish(q, std::nullopt);
  send_attempt(q);
}

void DnsClient::on_timer(evutil_socket_t, short, void* arg) {
  auto& q = *static_cast<Query*>(arg);
  guard_callback([&q] { q.owner->next_attempt(q); }, q.owner->log_.failed_callback());
}

void DnsClient::on_udp(evutil_socket_t fd, short, void* self) {
  auto* client = static_cast<DnsClient*>(self);
  guard_callback([client, fd] {
    char buf[65536];
    for (int i = 0; i < 64; ++i) {  // a burst, then back to the loop
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, as_sockaddr(from), &len);
      if (n < 0) return;
      if (n < 2 || static_cast<std::size_t>(n) > max_udp_reply) continue;
      const auto id = static_cast<std::uint16_t>(static_cast<unsigned char>(buf[0]) << 8 |
                                                  static_cast<unsigned char>(buf[1]));
      auto it = client->queries_.find(id);
      if (it == client->queries_.end() || it->second->tcp) continue;
      Query& q = *it->second;
      if (!same_address(from, q.server())) continue;
      client->deliver(q, std::string(buf, static_cast<std::size_t>(n)));
    }
  }, client->log_.failed_callback());
}

void DnsClient::deliver(Query& q, const std::string& packet) {
  DnsReply reply = parse_dns_reply(packet, q.id, q.name, q.type);
  switch (reply.status) {
    case DnsReply::Status::foreign: return;
    case DnsReply::Status::truncated:
      if (!q.tcp) return start_tcp(q);
      return next_attempt(q);  // truncated over TCP too: this server cannot say
    // A reply whose answers cannot be read is still the reply, as djb's takes it: no name,
    // no address, and no other server asked.
    case DnsReply::Status::answer:
    case DnsReply::Status::malformed: return finish(q, std::move(reply.records));
    case DnsReply::Status::server_failed: return next_attempt(q);
  }
}

void DnsClient::start_tcp(Query& q) {
  const sockaddr_storage& to = q.server();
  q.tcp.reset(::socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!q.tcp || (::connect(q.tcp.get(), as_sockaddr(to), length_of(to)) != 0 && errno != EINPROGRESS))
    return next_attempt(q);
  q.tcp_out.clear();
  q.tcp_out += static_cast<char>(q.packet.size() >> 8);
  q.tcp_out += static_cast<char>(q.packet.size() & 0xff);
  q.tcp_out += q.packet;
  q.tcp_in.clear();
  q.tcp_event.reset(event_new(base_, q.tcp.get(), EV_READ | EV_WRITE | EV_PERSIST,
                              &DnsClient::on_tcp, &q));
  if (!q.tcp_event || event_add(q.tcp_event.get(), nullptr) != 0) return next_attempt(q);
  arm(q.timer.get(), tcp_attempt_ms);
}

void DnsClient::on_tcp(evutil_socket_t, short, void* arg) {
  auto& q = *static_cast<Query*>(arg);
  guard_callback([&q] { q.owner->tcp_progress(q); }, q.owner->log_.failed_callback());
}

void DnsClient::tcp_progress(Query& q) {
  if (!q.tcp_out.empty()) {
    const ssize_t n = ::send(q.tcp.get(), q.tcp_out.data(), q.tcp_out.size(), MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINPROGRESS ? void() : next_attempt(q);
    q.tcp_out.erase(0, static_cast<std::size_t>(n));
    if (!q.tcp_out.empty()) return;
    // All sent: from now on only readable wakes us (a writable socket would spin the loop).
    q.tcp_event.reset(event_new(base_, q.tcp.get(), EV_READ | EV_PERSIST, &DnsClient::on_tcp, &q));
    if (!q.tcp_event || event_add(q.tcp_event.get(), nullptr) != 0) return next_attempt(q);
    return;
  }
  char buf[4096];
  const ssize_t n = ::read(q.tcp.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return next_attempt(q);  // closed before the whole reply
  q.tcp_in.append(buf, static_cast<std::size_t>(n));
  if (q.tcp_in.size() < 2) return;
  const std::size_t want = std::size_t{static_cast<unsigned char>(q.tcp_in[0])} << 8 |
                           std::size_t{static_cast<unsigned char>(q.tcp_in[1])};
  if (q.tcp_in.size() < 2 + want) return;
  deliver(q, q.tcp_in.substr(2, want));
}

void DnsClient::finish(Query& q, std::optional<std::vector<std::string>> records) {
  auto it = queries_.find(q.id);
  if (it == queries_.end()) return;
  std::unique_ptr<Query> owned = std::move(it->second);
  queries_.erase(it);
  Done done = std::move(owned->done);
  owned.reset();  // its timer and socket go before the caller runs
  done(std::move(records));
}

}  // namespace ucspi
