// The one place tcpserver looks inside a sockaddr_storage: its family's view, its port, its
// length for bind/connect, and its address as the byte arrays rules/base/ip_address.h formats.
// Every cast between the storage and sockaddr_in/sockaddr_in6 lives here.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "rules/base/ip_address.h"

namespace ucspi {

inline bool is_v4(const sockaddr_storage& a) { return a.ss_family == AF_INET; }
inline bool is_v6(const sockaddr_storage& a) { return a.ss_family == AF_INET6; }

// The family's view; the caller has checked the family.
const sockaddr_in& as_v4(const sockaddr_storage& a);
sockaddr_in& as_v4(sockaddr_storage& a);
const sockaddr_in6& as_v6(const sockaddr_storage& a);
sockaddr_in6& as_v6(sockaddr_storage& a);

// For the socket calls, which take the generic type.
const sockaddr* as_sockaddr(const sockaddr_storage& a);
sockaddr* as_sockaddr(sockaddr_storage& a);

// Host byte order in and out; for an IPv4 or IPv6 address only.
std::uint16_t port_of(const sockaddr_storage& a);
void set_port(sockaddr_storage& a, std::uint16_t port);
socklen_t length_of(const sockaddr_storage& a);

// getsockname: false with errno set when the kernel would not say.
bool local_address_of(int fd, sockaddr_storage& out);

Ip4 ip4_of(const sockaddr_in& a);
Ip6 ip6_of(const sockaddr_in6& a);

// The other way: an address of the family and a port (host byte order), all else zero.
sockaddr_storage socket_address(const Ip4& ip, std::uint16_t port);
sockaddr_storage socket_address(const Ip6& ip, std::uint16_t port);

}  // namespace ucspi
