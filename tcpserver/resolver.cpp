#include "resolver.h"

#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "ip_address.h"

namespace ucspi {
namespace {

std::string clean_name(const char* name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
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

evdns_base* make_dns(event_base* base) {
  std::vector<std::string> servers = dnscache_ips();
  if (servers.empty())
    return evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
  evdns_base* dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
  if (!dns) return nullptr;
  for (const std::string& ip : servers) evdns_base_nameserver_ip_add(dns, ip.c_str());
  return dns;
}

}  // namespace

Resolver::Resolver(event_base* base) : dns_(make_dns(base)) {}

Resolver::Pending* Resolver::track(std::unique_ptr<Pending> p) {
  Pending* raw = p.get();
  pending_.emplace(raw, std::move(p));
  return raw;
}

std::unique_ptr<Resolver::Pending> Resolver::untrack(Pending* p) {
  auto it = pending_.find(p);
  if (it == pending_.end()) return nullptr;
  std::unique_ptr<Pending> owned = std::move(it->second);
  pending_.erase(it);
  return owned;
}

void Resolver::reverse(const sockaddr_storage& addr, NameDone done) {
  if (!dns_) return done(std::nullopt);
  auto p = std::make_unique<Pending>();
  p->owner = this;
  p->on_name = std::move(done);
  Pending* raw = track(std::move(p));
  evdns_request* req = nullptr;
  if (addr.ss_family == AF_INET) {
    req = evdns_base_resolve_reverse(dns_.get(), &reinterpret_cast<const sockaddr_in&>(addr).sin_addr,
                                     DNS_QUERY_NO_SEARCH, &Resolver::on_reverse, raw);
  } else {
    const in6_addr& a6 = reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      in_addr v4;
      std::memcpy(&v4, a6.s6_addr + 12, 4);
      req = evdns_base_resolve_reverse(dns_.get(), &v4, DNS_QUERY_NO_SEARCH, &Resolver::on_reverse, raw);
    } else {
      req = evdns_base_resolve_reverse_ipv6(dns_.get(), &a6, DNS_QUERY_NO_SEARCH,
                                            &Resolver::on_reverse, raw);
    }
  }
  if (!req) {
    auto owned = untrack(raw);
    if (owned) owned->on_name(std::nullopt);
  }
}

void Resolver::forward_matches(const std::string& name, const sockaddr_storage& addr,
                               MatchDone done) {
  if (!dns_) return done(false);
  auto p = std::make_unique<Pending>();
  p->owner = this;
  p->on_match = std::move(done);
  p->addr = addr;
  Pending* raw = track(std::move(p));
  bool v6 = addr.ss_family == AF_INET6 &&
            !IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr);
  evdns_request* req =
      v6 ? evdns_base_resolve_ipv6(dns_.get(), name.c_str(), DNS_QUERY_NO_SEARCH, &Resolver::on_forward, raw)
         : evdns_base_resolve_ipv4(dns_.get(), name.c_str(), DNS_QUERY_NO_SEARCH, &Resolver::on_forward, raw);
  if (!req) {
    auto owned = untrack(raw);
    if (owned) owned->on_match(false);
  }
}

void Resolver::on_reverse(int result, char type, int count, int, void* addresses, void* arg) {
  auto* raw = static_cast<Pending*>(arg);
  auto owned = raw->owner->untrack(raw);
  if (!owned) return;
  std::optional<std::string> name;
  if (result == DNS_ERR_NONE && type == DNS_PTR && count > 0 && addresses) {
    const char* text = *static_cast<char**>(addresses);
    if (text && *text) name = clean_name(text);
  }
  owned->on_name(std::move(name));
}

void Resolver::on_forward(int result, char type, int count, int, void* addresses, void* arg) {
  auto* raw = static_cast<Pending*>(arg);
  auto owned = raw->owner->untrack(raw);
  if (!owned) return;
  bool match = false;
  if (result == DNS_ERR_NONE && addresses) {
    const sockaddr_storage& a = owned->addr;
    if (type == DNS_IPv4_A) {
      const unsigned char* want;
      if (a.ss_family == AF_INET)
        want = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
      else
        want = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr.s6_addr + 12;
      auto* list = static_cast<const unsigned char*>(addresses);
      for (int i = 0; i < count && !match; ++i) match = std::memcmp(list + 4 * i, want, 4) == 0;
    } else if (type == DNS_IPv6_AAAA) {
      const unsigned char* want = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr.s6_addr;
      auto* list = static_cast<const unsigned char*>(addresses);
      for (int i = 0; i < count && !match; ++i) match = std::memcmp(list + 16 * i, want, 16) == 0;
    }
  }
  owned->on_match(match);
}

}  // namespace ucspi
