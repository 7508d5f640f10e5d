#include "listen_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "ip_address.h"
#include "options.h"

namespace ucspi {
namespace {

void set_v4(HostResult& r, const unsigned char bytes[4]) {
  auto& a = reinterpret_cast<sockaddr_in&>(r.addr);
  a.sin_family = AF_INET;
  std::memcpy(&a.sin_addr, bytes, 4);
  r.len = sizeof(sockaddr_in);
}

void set_v6(HostResult& r, const Ip6& ip, unsigned scope_id) {
  auto& a = reinterpret_cast<sockaddr_in6&>(r.addr);
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

HostResult resolve_name(const std::string& word, bool ipv4_only, unsigned scope_id) {
  HostResult r;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = ipv4_only ? AF_INET : AF_UNSPEC;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(word.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY) {
      r.status = HostResult::Status::no_address;
    } else {
      r.status = HostResult::Status::temporary_failure;
      r.error = rc == EAI_SYSTEM ? errno : (rc == EAI_MEMORY ? ENOMEM : EAGAIN);
    }
    return r;
  }
  // djb's build binds the A record; prefer IPv4 so a name resolves as it did there.
  const addrinfo* pick = nullptr;
  for (const addrinfo* ai = list; ai; ai = ai->ai_next)
    if (ai->ai_family == AF_INET) {
      pick = ai;
      break;
    }
  if (!pick)
    for (const addrinfo* ai = list; ai; ai = ai->ai_next)
      if (ai->ai_family == AF_INET6) {
        pick = ai;
        break;
      }
  if (!pick) {
    r.status = HostResult::Status::no_address;
  } else if (pick->ai_family == AF_INET) {
    set_v4(r, reinterpret_cast<const unsigned char*>(
                  &reinterpret_cast<const sockaddr_in*>(pick->ai_addr)->sin_addr));
  } else {
    Ip6 ip;
    std::memcpy(ip.data(), &reinterpret_cast<const sockaddr_in6*>(pick->ai_addr)->sin6_addr, 16);
    set_v6(r, ip, scope_id);
  }
  freeaddrinfo(list);
  return r;
}

}  // namespace

PortResult parse_port(const std::string& word) {
  std::size_t n = 0;
  unsigned long value = scan_ulong(word.c_str(), &n);
  if (n == word.size()) return {true, static_cast<unsigned short>(value & 0xffff)};
  servent* se = getservbyname(word.c_str(), "tcp");
  if (!se) return {};
  return {true, ntohs(static_cast<unsigned short>(se->s_port))};
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
