#include "tcpserver/socket_address.h"

#include <cstring>

namespace ucspi {

// sockaddr_storage is specified to be large and aligned enough for every family's view.
const sockaddr_in& as_v4(const sockaddr_storage& a) { return reinterpret_cast<const sockaddr_in&>(a); }
sockaddr_in& as_v4(sockaddr_storage& a) { return reinterpret_cast<sockaddr_in&>(a); }
const sockaddr_in6& as_v6(const sockaddr_storage& a) { return reinterpret_cast<const sockaddr_in6&>(a); }
sockaddr_in6& as_v6(sockaddr_storage& a) { return reinterpret_cast<sockaddr_in6&>(a); }

const sockaddr* as_sockaddr(const sockaddr_storage& a) { return reinterpret_cast<const sockaddr*>(&a); }
sockaddr* as_sockaddr(sockaddr_storage& a) { return reinterpret_cast<sockaddr*>(&a); }

std::uint16_t port_of(const sockaddr_storage& a) {
  return ntohs(is_v4(a) ? as_v4(a).sin_port : as_v6(a).sin6_port);
}

void set_port(sockaddr_storage& a, std::uint16_t port) {
  if (is_v4(a))
    as_v4(a).sin_port = htons(port);
  else
    as_v6(a).sin6_port = htons(port);
}

socklen_t length_of(const sockaddr_storage& a) {
  return is_v4(a) ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

bool local_address_of(int fd, sockaddr_storage& out) {
  out = sockaddr_storage{};
  socklen_t len = sizeof out;
  return ::getsockname(fd, as_sockaddr(out), &len) == 0;
}

Ip4 ip4_of(const sockaddr_in& a) {
  Ip4 ip;
  std::memcpy(ip.data(), &a.sin_addr, ip.size());
  return ip;
}

Ip6 ip6_of(const sockaddr_in6& a) {
  Ip6 ip;
  std::memcpy(ip.data(), &a.sin6_addr, ip.size());
  return ip;
}

sockaddr_storage socket_address(const Ip4& ip, std::uint16_t port) {
  sockaddr_storage out{};
  as_v4(out).sin_family = AF_INET;
  std::memcpy(&as_v4(out).sin_addr, ip.data(), ip.size());
  set_port(out, port);
  return out;
}

sockaddr_storage socket_address(const Ip6& ip, std::uint16_t port) {
  sockaddr_storage out{};
  as_v6(out).sin6_family = AF_INET6;
  std::memcpy(&as_v6(out).sin6_addr, ip.data(), ip.size());
  set_port(out, port);
  return out;
}

}  // namespace ucspi
