// PTR and paranoid forward lookups through libevent's evdns, so the parent never blocks.
//
// No client can hold up another's lookups: connections asking the same question share one
// request in flight (a client holding 200 connections costs one PTR query, not 200), and
// evdns's in-flight limit is raised to what the -c limit can need, so a request is never
// queued behind others that are waiting for a name server that never answers. Each request
// keeps evdns's own timeout from the moment it is sent.
//
// Each request's waiters are owned here until evdns answers (answer, error or timeout), so a
// connection that goes away first never leaves evdns pointing at freed memory.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rules/event/event_handles.h"
#include "tcpserver/logger.h"

namespace ucspi {

// An evdns base with djb's choice of servers: $DNSCACHEIP if set (qmail run files rely on it),
// else /etc/resolv.conf; /etc/hosts is read too. Null when out of memory.
EvdnsBasePtr open_evdns(event_base* base);

class Resolver {
 public:
  using NameDone = std::function<void(std::optional<std::string>)>;
  using MatchDone = std::function<void(bool)>;

  // connection_limit is -c: at most that many connections wait for lookups at once.
  Resolver(event_base* base, const Logger& log, unsigned long connection_limit);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  bool ok() const { return dns_ != nullptr; }

  // The first PTR name, lowercased, without the trailing dot; nullopt when there is none.
  void reverse(const sockaddr_storage& addr, NameDone done);
  // Whether one of name's A (AAAA for IPv6) records equals addr: djb's -p check.
  void forward_matches(const std::string& name, const sockaddr_storage& addr, MatchDone done);

 private:
  struct Flight {
    Resolver* owner;
    std::string key;
    std::vector<NameDone> names;
    std::vector<std::pair<MatchDone, sockaddr_storage>> matches;
  };
  // The flight for key and whether it is new (the caller then sends the request).
  std::pair<Flight*, bool> join(const std::string& key);
  std::unique_ptr<Flight> land(Flight* flight);
  void abort(const std::string& key, Flight* flight);
  static void on_reverse(int result, char type, int count, int ttl, void* addresses, void* arg);
  static void on_forward(int result, char type, int count, int ttl, void* addresses, void* arg);

  const Logger& log_;
  EvdnsBasePtr dns_;
  std::unordered_map<std::string, std::unique_ptr<Flight>> flights_;
};

}  // namespace ucspi
