// tcpserver's DNS questions (PTR for -h and the local name, A or AAAA for -p), asked from the
// event loop so the parent never blocks, of djb's choice of servers: $DNSCACHEIP (qmail run
// files rely on it), else the nameserver lines of /etc/resolv.conf, else 127.0.0.1; no
// /etc/hosts, as djb's. Over UDP, and again over TCP when a reply comes back truncated.
//
// Every question is sent at once, never queued behind others, and has deadlines of its own
// (djb's first three rounds over the servers, waiting 1, 3 and 11 s; 10 s over TCP; a server
// that fails, SERVFAIL or REFUSED, is left at once for the next): a name server that never
// answers one client's PTR holds up nobody else. Replies are matched by id, question and server address.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "rules/base/unique_fd.h"
#include "rules/event/event_handles.h"
#include "tcpserver/logger.h"

namespace ucspi {

// $DNSCACHEIP's IPv4 addresses if any, else /etc/resolv.conf's nameservers, else 127.0.0.1.
std::vector<sockaddr_storage> dns_servers();

class DnsClient {
 public:
  // The answer's records of the asked type (dns_packet.h), or nullopt when no server answered.
  using Done = std::function<void(std::optional<std::vector<std::string>>)>;

  DnsClient(event_base* base, std::vector<sockaddr_storage> servers, const Logger& log);
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;
  ~DnsClient();

  // name in wire form. done runs later from the loop, never inside ask, and never after the
  // client is destroyed.
  void ask(std::string name, std::uint16_t type, Done done);

 private:
  struct Query;
  static void on_udp(evutil_socket_t fd, short, void* self);
  static void on_timer(evutil_socket_t, short, void* query);
  static void on_tcp(evutil_socket_t, short, void* query);

  void send_attempt(Query& q);
  void next_attempt(Query& q);
  void start_tcp(Query& q);
  void tcp_progress(Query& q);
  void deliver(Query& q, const std::string& packet);
  void finish(Query& q, std::optional<std::vector<std::string>> records);
  int udp_socket(int family);
  std::uint16_t fresh_id();

  event_base* base_;
  std::vector<sockaddr_storage> servers_;
  const Logger& log_;
  UniqueFd udp4_, udp6_;
  EventPtr udp4_event_, udp6_event_;
  std::unordered_map<std::uint16_t, std::unique_ptr<Query>> queries_;
  std::mt19937 ids_;
};

}  // namespace ucspi
