// PTR and paranoid forward lookups through libevent's evdns, so the parent never blocks.
// Each request's callback is owned here until evdns answers (answer, error or timeout), so a
// connection that goes away first never leaves evdns pointing at freed memory.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "event_handles.h"

namespace ucspi {

class Resolver {
 public:
  using NameDone = std::function<void(std::optional<std::string>)>;
  using MatchDone = std::function<void(bool)>;

  explicit Resolver(event_base* base);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  bool ok() const { return dns_ != nullptr; }

  // The first PTR name, lowercased, without the trailing dot; nullopt when there is none.
  void reverse(const sockaddr_storage& addr, NameDone done);
  // Whether one of name's A (AAAA for IPv6) records equals addr: djb's -p check.
  void forward_matches(const std::string& name, const sockaddr_storage& addr, MatchDone done);

 private:
  struct Pending {
    Resolver* owner;
    NameDone on_name;
    MatchDone on_match;
    sockaddr_storage addr{};
  };
  Pending* track(std::unique_ptr<Pending> p);
  std::unique_ptr<Pending> untrack(Pending* p);
  static void on_reverse(int result, char type, int count, int ttl, void* addresses, void* arg);
  static void on_forward(int result, char type, int count, int ttl, void* addresses, void* arg);

  EvdnsBasePtr dns_;
  std::unordered_map<Pending*, std::unique_ptr<Pending>> pending_;
};

}  // namespace ucspi
