// PTR and paranoid forward lookups for tcpserver's connections, asked of djb's servers by our
// own DNS client (dns_client.h), so the parent never blocks and a PTR name reaches the child
// byte for byte as djb's shows it (dns_packet.h).
//
// No client can hold up another's lookups: connections asking the same question share one
// request in flight (a client holding 200 connections costs one PTR query, not 200), and
// every question is sent at once with deadlines of its own.
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
#include "tcpserver/dns_client.h"
#include "tcpserver/logger.h"

namespace ucspi {

class Resolver {
 public:
  using NameDone = std::function<void(std::optional<std::string>)>;
  using MatchDone = std::function<void(bool)>;

  Resolver(event_base* base, const Logger& log);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The first PTR name in djb's text (lowercase, escaped, no trailing dot); nullopt when there
  // is none.
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
  void named(Flight* flight, const std::optional<std::vector<std::string>>& records);
  void addressed(Flight* flight, const std::optional<std::vector<std::string>>& records);

  DnsClient dns_;
  std::unordered_map<std::string, std::unique_ptr<Flight>> flights_;
};

}  // namespace ucspi
