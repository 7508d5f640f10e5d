#include "tcpserver/listen_address.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "rules/base/ip_address.h"
#include "rules/base/scan_ulong.h"
#include "rules/event/event_handles.h"
#include "tcpserver/dns_client.h"
#include "tcpserver/options.h"
#include "tcpserver/services_file.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

// evdns reports name servers going down and up; under a flood of unanswerable PTR queries
// that would be a line per timeout, and none of it is news to the admin of a mail server.
void quiet_evdns(int, const char*) {}

// evdns resolves the listen address's name only (the clients' names go through dns_client.h),
// with the same servers, and /etc/hosts too.
EvdnsBasePtr open_evdns(event_base* base) {
  evdns_set_log_fn(quiet_evdns);
  EvdnsBasePtr dns(evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  if (!dns) return nullptr;
  for (const sockaddr_storage& server : dns_servers())
    evdns_base_nameserver_sockaddr_add(dns.get(), as_sockaddr(server), length_of(server), 0);
  evdns_base_load_hosts(dns.get(), nullptr);
  return dns;
}


void set_v4(HostResult& r, const unsigned char bytes[4]) {
  sockaddr_in& a = as_v4(r.addr);
  a.sin_family = AF_INET;
  std::memcpy(&a.sin_addr, bytes, 4);
  r.len = sizeof(sockaddr_in);
}

void set_v6(HostResult& r, const Ip6& ip, unsigned scope_id) {
  sockaddr_in6& a = as_v6(r.addr);
  a.sin6_family = AF_INET6;
  std::memcpy(&a.sin6_addr, ip.data(), 16);
  a.sin6_scope_id = scope_id;
  r.len = sizeof(sockaddr_in6);
}

bool is_djb_numeric(std::string_view word) {
  for (char c : word)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '[' || c == ']')) return false;
  return true;
}

// djb's dns_ip4 numeric path: a byte per dot-separated part, wrapping like his char arithmetic.
std::vector<unsigned char> djb_numeric_bytes(std::string_view word) {
  std::vector<unsigned char> bytes;
  unsigned char code = 0;
  for (std::size_t i = 0; i <= word.size(); ++i) {
    char c = i < word.size() ? word[i] : '.';
    if (c == '[' || c == ']') continue;
    if (c == '.') {
      bytes.push_back(code);
      code = 0;
      continue;
    }
    code = static_cast<unsigned char>(code * 10 + (c - '0'));
  }
  bytes.resize(bytes.size() & ~std::size_t{3});
  return bytes;
}

void set_from(HostResult& r, const evutil_addrinfo& ai, unsigned scope_id) {
  sockaddr_storage answer{};
  std::memcpy(&answer, ai.ai_addr, std::min<std::size_t>(ai.ai_addrlen, sizeof answer));
  if (is_v4(answer)) {
    set_v4(r, ip4_of(as_v4(answer)).data());
    return;
  }
  set_v6(r, ip6_of(as_v6(answer)), scope_id);
}

struct NameAnswer {
  bool done = false;
  int error = 0;
  evutil_addrinfo* list = nullptr;
};

void on_name(int error, evutil_addrinfo* list, void* arg) {
  auto* answer = static_cast<NameAnswer*>(arg);
  answer->done = true;
  answer->error = error;
  answer->list = list;
}

// A host name to listen on, through evdns (/etc/hosts, then $DNSCACHEIP or resolv.conf's
// servers): the C library's resolver would need the name-service switch, which a static
// program should not load. djb's build asked its own DNS resolver, which knew no /etc/hosts.
HostResult resolve_name(const std::string& word, bool ipv4_only, unsigned scope_id) {
  HostResult r;
  EventBasePtr base(event_base_new());
  EvdnsBasePtr dns = base ? open_evdns(base.get()) : nullptr;
  if (!dns) {
    r.status = HostResult::Status::temporary_failure;
    r.error = ENOMEM;
    return r;
  }
  evutil_addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = ipv4_only ? AF_INET : AF_UNSPEC;
  NameAnswer answer;
  evdns_getaddrinfo(dns.get(), word.c_str(), nullptr, &hints, &on_name, &answer);
  while (!answer.done && event_base_loop(base.get(), EVLOOP_ONCE) == 0) {
  }
  std::unique_ptr<evutil_addrinfo, void (*)(evutil_addrinfo*)> list(answer.list, &evutil_freeaddrinfo);
  if (!answer.done || answer.error != 0) {
    const bool none = answer.error == EVUTIL_EAI_NONAME || answer.error == EVUTIL_EAI_NODATA;
    r.status = none ? HostResult::Status::no_address : HostResult::Status::temporary_failure;
    r.error = answer.error == EVUTIL_EAI_MEMORY ? ENOMEM : EAGAIN;
    return r;
  }
  // djb's build binds the A record; prefer IPv4 so a name resolves as it did there.
  for (int family : {AF_INET, AF_INET6})
    for (const evutil_addrinfo* ai = list.get(); ai; ai = ai->ai_next)
      if (ai->ai_family == family) {
        set_from(r, *ai, scope_id);
        return r;
      }
  r.status = HostResult::Status::no_address;
  return r;
}

}  // namespace

PortResult parse_port(const std::string& word) {
  std::size_t n = 0;
  unsigned long value = scan_ulong(word, &n);
  if (n == word.size()) return {true, static_cast<unsigned short>(value & 0xffff)};
  std::optional<unsigned short> named = tcp_service_port(word);
  if (!named) return {};
  return {true, *named};
}

HostResult resolve_listen_host(const std::string& word, bool ipv4_only, unsigned scope_id) {
  HostResult r;
  if (word.empty() || word == "0") {
    if (ipv4_only) {
      static constexpr unsigned char any[4] = {0, 0, 0, 0};
      set_v4(r, any);
    } else {
      set_v6(r, Ip6{}, scope_id);
      r.dual_stack = true;
    }
    return r;
  }
  if (is_djb_numeric(word)) {
    auto bytes = djb_numeric_bytes(word);
    if (bytes.empty()) {
      r.status = HostResult::Status::no_address;
      return r;
    }
    set_v4(r, bytes.data());
    return r;
  }
  if (auto ip6 = parse_ip6(word)) {
    // fefe: a v4-mapped address means an IPv4 socket.
    if (is_v4_mapped(*ip6)) {
      set_v4(r, ip6->data() + 12);
    } else if (ipv4_only) {
      r.status = HostResult::Status::no_address;
    } else {
      set_v6(r, *ip6, scope_id);
    }
    return r;
  }
  return resolve_name(word, ipv4_only, scope_id);
}

}  // namespace ucspi
