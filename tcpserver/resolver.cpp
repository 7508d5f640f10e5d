#include "tcpserver/resolver.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "rules/base/ip_address.h"
#include "rules/event/callback_guard.h"
#include "tcpserver/endpoint.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

// The PTR name as djb's dns_domain_todot writes it: lowercase, no trailing dot, and every byte
// other than a-z, 0-9, '-' and '_' as a backslash and three octal digits, so that no CR, LF,
// ESC, ':' or blank from a hostile name server reaches TCPREMOTEHOST (which qmail-smtpd and
// rblsmtpd put in headers and logs) or the rules keys raw. evdns hands us the name with its
// labels joined by '.' and cut at a NUL; a '.' or NUL inside a label, which djb's would show as
// \056 and \000, is therefore beyond what this can tell apart.
std::string clean_name(const char* name) {
  std::string_view text(name);
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '\\';
    out += static_cast<char>('0' + (byte >> 6));
    out += static_cast<char>('0' + ((byte >> 3) & 7));
    out += static_cast<char>('0' + (byte & 7));
  }
  return out;
}

// djb's resolver takes its servers from $DNSCACHEIP before /etc/resolv.conf, and qmail run
// files rely on that (DNSCACHEIP=127.0.0.1 for a local dnscache): so do we.
std::vector<std::string> dnscache_ips() {
  std::vector<std::string> ips;
  const char* env = std::getenv("DNSCACHEIP");
  if (!env) return ips;
  std::string_view rest = env;
  while (!rest.empty()) {
    std::size_t end = rest.find_first_of(" ,\t");
    std::string_view word = rest.substr(0, end);
    if (parse_ip4(word)) ips.emplace_back(word);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return ips;
}

// evdns reports name servers going down and up; under a flood of unanswerable PTR queries
// that would be a line per timeout, and none of it is news to the admin of a mail server.
void quiet_evdns(int, const char*) {}

EvdnsBasePtr make_dns(event_base* base, unsigned long connection_limit) {
  EvdnsBasePtr dns = open_evdns(base);
  if (!dns) return nullptr;
  // Each connection has at most two questions out at once (local and remote name, or local
  // name and the -p check). evdns's default of 64 would queue the rest behind questions
  // that may never be answered.
  const unsigned long inflight = std::clamp<unsigned long>(2 * connection_limit + 16, 64, 65000);
  evdns_base_set_option(dns.get(), "max-inflight:", std::to_string(inflight).c_str());
  return dns;
}

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

bool answer_has(const sockaddr_storage& a, char type, int count, const void* addresses) {
  if (type == DNS_IPv4_A) {
    in_addr v4{};
    if (!ipv4_of(a, v4)) return false;
    const auto* want = reinterpret_cast<const unsigned char*>(&v4);
    auto* list = static_cast<const unsigned char*>(addresses);
    for (int i = 0; i < count; ++i)
      if (std::memcmp(list + 4 * i, want, 4) == 0) return true;
  } else if (type == DNS_IPv6_AAAA && is_v6(a)) {
    const unsigned char* want = as_v6(a).sin6_addr.s6_addr;
    auto* list = static_cast<const unsigned char*>(addresses);
    for (int i = 0; i < count; ++i)
      if (std::memcmp(list + 16 * i, want, 16) == 0) return true;
  }
  return false;
}

}  // namespace

EvdnsBasePtr open_evdns(event_base* base) {
  evdns_set_log_fn(quiet_evdns);
  std::vector<std::string> servers = dnscache_ips();
  if (servers.empty())
    return EvdnsBasePtr(
        evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  EvdnsBasePtr dns(evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  if (!dns) return nullptr;
  for (const std::string& ip : servers) evdns_base_nameserver_ip_add(dns.get(), ip.c_str());
  evdns_base_load_hosts(dns.get(), nullptr);
  return dns;
}

Resolver::Resolver(event_base* base, const Logger& log, unsigned long connection_limit)
    : log_(log), dns_(make_dns(base, connection_limit)) {}

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

// evdns refused the request: everyone waiting gets "no answer" now. By key, since a flight
// that evdns already answered is gone.
void Resolver::abort(const std::string& key, Flight* flight) {
  auto it = flights_.find(key);
  if (it == flights_.end() || it->second.get() != flight) return;
  std::unique_ptr<Flight> owned = std::move(it->second);
  flights_.erase(it);
  for (NameDone& done : owned->names) done(std::nullopt);
  for (auto& [done, addr] : owned->matches) done(false);
}

void Resolver::reverse(const sockaddr_storage& addr, NameDone done) {
  if (!dns_) return done(std::nullopt);
  in_addr v4{};
  const in6_addr* v6 = nullptr;
  const std::string key = reverse_key(addr, v4, v6);
  auto [flight, fresh] = join(key);
  flight->names.push_back(std::move(done));
  if (!fresh) return;
  evdns_request* req =
      v6 ? evdns_base_resolve_reverse_ipv6(dns_.get(), v6, DNS_QUERY_NO_SEARCH, &Resolver::on_reverse, flight)
         : evdns_base_resolve_reverse(dns_.get(), &v4, DNS_QUERY_NO_SEARCH, &Resolver::on_reverse, flight);
  if (!req) abort(key, flight);
}

void Resolver::forward_matches(const std::string& name, const sockaddr_storage& addr,
                               MatchDone done) {
  if (!dns_) return done(false);
  const bool v6 = forward_is_v6(addr);
  const std::string key = (v6 ? "f6" : "f4") + name;
  auto [flight, fresh] = join(key);
  flight->matches.emplace_back(std::move(done), addr);
  if (!fresh) return;
  evdns_request* req =
      v6 ? evdns_base_resolve_ipv6(dns_.get(), name.c_str(), DNS_QUERY_NO_SEARCH, &Resolver::on_forward, flight)
         : evdns_base_resolve_ipv4(dns_.get(), name.c_str(), DNS_QUERY_NO_SEARCH, &Resolver::on_forward, flight);
  if (!req) abort(key, flight);
}

void Resolver::on_reverse(int result, char type, int count, int, void* addresses, void* arg) {
  auto* flight = static_cast<Flight*>(arg);
  Resolver* self = flight->owner;
  guard_callback([&] {
    std::unique_ptr<Flight> owned = self->land(flight);
    if (!owned) return;
    std::optional<std::string> name;
    if (result == DNS_ERR_NONE && type == DNS_PTR && count > 0 && addresses) {
      const char* text = *static_cast<char**>(addresses);
      if (text && *text) name = clean_name(text);
    }
    for (NameDone& done : owned->names) done(name);
  }, self->log_.failed_callback());
}

void Resolver::on_forward(int result, char type, int count, int, void* addresses, void* arg) {
  auto* flight = static_cast<Flight*>(arg);
  Resolver* self = flight->owner;
  guard_callback([&] {
    std::unique_ptr<Flight> owned = self->land(flight);
    if (!owned) return;
    const bool answered = result == DNS_ERR_NONE && addresses != nullptr;
    for (auto& [done, addr] : owned->matches) done(answered && answer_has(addr, type, count, addresses));
  }, self->log_.failed_callback());
}

}  // namespace ucspi
