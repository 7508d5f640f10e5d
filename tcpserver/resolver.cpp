#include "tcpserver/resolver.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "rules/base/ip_address.h"
#include "rules/event/callback_guard.h"
#include "tcpserver/dns_packet.h"
#include "tcpserver/endpoint.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

// The question's key: the address as the PTR query sees it (v4-mapped asked as IPv4).
std::string reverse_key(const sockaddr_storage& addr, in_addr& v4, const in6_addr*& v6) {
  v6 = nullptr;
  if (is_v4(addr)) {
    v4 = as_v4(addr).sin_addr;
  } else {
    const in6_addr& a6 = as_v6(addr).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      std::memcpy(&v4, a6.s6_addr + 12, 4);
    } else {
      v6 = &a6;
      return "r6" + std::string(reinterpret_cast<const char*>(a6.s6_addr), 16);
    }
  }
  return "r4" + std::string(reinterpret_cast<const char*>(&v4), 4);
}

bool forward_is_v6(const sockaddr_storage& addr) {
  return is_v6(addr) && !IN6_IS_ADDR_V4MAPPED(&as_v6(addr).sin6_addr);
}

// The address bytes a -p answer must hold for addr: IPv4 (also v4-mapped) or IPv6.
std::string address_bytes(const sockaddr_storage& addr) {
  in_addr v4{};
  if (ipv4_of(addr, v4)) return std::string(reinterpret_cast<const char*>(&v4), 4);
  return std::string(reinterpret_cast<const char*>(as_v6(addr).sin6_addr.s6_addr), 16);
}

// -p's check: one of the name's addresses (an A or AAAA answer's records) is the client's.
bool lists_address(const std::vector<std::string>& records, const sockaddr_storage& addr) {
  return std::find(records.begin(), records.end(), address_bytes(addr)) != records.end();
}

}  // namespace

Resolver::Resolver(event_base* base, const Logger& log) : dns_(base, dns_servers(), log) {}

std::pair<Resolver::Flight*, bool> Resolver::join(const std::string& key) {
  auto found = flights_.find(key);
  if (found != flights_.end()) return {found->second.get(), false};
  auto flight = std::make_unique<Flight>();
  flight->owner = this;
  flight->key = key;
  Flight* raw = flight.get();
  flights_.emplace(key, std::move(flight));
  return {raw, true};
}

std::unique_ptr<Resolver::Flight> Resolver::land(Flight* flight) {
  auto it = flights_.find(flight->key);
  if (it == flights_.end() || it->second.get() != flight) return nullptr;
  std::unique_ptr<Flight> owned = std::move(it->second);
  flights_.erase(it);
  return owned;
}

// The question could not be asked (out of memory): everyone waiting gets "no answer" now. By
// key, since a flight that was already answered is gone.
void Resolver::abort(const std::string& key, Flight* flight) {
  auto it = flights_.find(key);
  if (it == flights_.end() || it->second.get() != flight) return;
  std::unique_ptr<Flight> owned = std::move(it->second);
  flights_.erase(it);
  for (NameDone& done : owned->names) done(std::nullopt);
  for (auto& [done, addr] : owned->matches) done(false);
}

void Resolver::reverse(const sockaddr_storage& addr, NameDone done) {
  in_addr v4{};
  const in6_addr* v6 = nullptr;
  const std::string key = reverse_key(addr, v4, v6);
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  const std::pair<Flight*, bool> joined = join(key);
  Flight* flight = joined.first;
  flight->names.push_back(std::move(done));
  if (!joined.second) return;
  try {
    dns_.ask(v6 ? reverse_name(*v6) : reverse_name(v4), dns_type_ptr,
             [this, flight](const std::optional<std::vector<std::string>>& records) {
               named(flight, records);
             });
  } catch (const std::bad_alloc&) {
    abort(key, flight);
  }
}

void Resolver::forward_matches(const std::string& name, const sockaddr_storage& addr,
                               MatchDone done) {
  const bool v6 = forward_is_v6(addr);
  if (!v6) {
    // djb's dns_ip4 never asks DNS for a numeric name: a PTR of "127.0.0.1" confirms itself.
    if (const std::optional<std::vector<std::string>> listed = numeric_ipv4_list(name))
      return done(lists_address(*listed, addr));
  }
  // The name as the PTR gave it, escapes and all, back into its labels (djb's fromdot).
  const std::optional<std::string> wire = wire_name(name);
  if (!wire) return done(false);
  const std::string key = (v6 ? "f6" : "f4") + *wire;
  const std::pair<Flight*, bool> joined = join(key);
  Flight* flight = joined.first;
  flight->matches.emplace_back(std::move(done), addr);
  if (!joined.second) return;
  try {
    dns_.ask(*wire, v6 ? dns_type_aaaa : dns_type_a,
             [this, flight](const std::optional<std::vector<std::string>>& records) {
               addressed(flight, records);
             });
  } catch (const std::bad_alloc&) {
    abort(key, flight);
  }
}

void Resolver::named(Flight* flight, const std::optional<std::vector<std::string>>& records) {
  std::unique_ptr<Flight> owned = land(flight);
  if (!owned) return;
  std::optional<std::string> name;
  if (records && !records->empty()) name = dotted_name(records->front());
  if (name && name->empty()) name.reset();
  for (NameDone& done : owned->names) done(name);
}

void Resolver::addressed(Flight* flight, const std::optional<std::vector<std::string>>& records) {
  std::unique_ptr<Flight> owned = land(flight);
  if (!owned) return;
  for (auto& [done, addr] : owned->matches) done(records && lists_address(*records, addr));
}

}  // namespace ucspi
