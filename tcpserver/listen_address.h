// Turns tcpserver's host and port words into the address to bind, with djb's rules:
// "" and "0" are the wildcard (ours: dual-stack "::" unless -4), digits-dots-brackets are parsed
// numerically (each part mod 256, byte count rounded down to a multiple of 4), IPv6 text as fefe,
// other names through the resolver. Ports: all digits (mod 65536) or getservbyname.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

namespace ucspi {

struct PortResult {
  bool ok = false;
  unsigned short port = 0;
};
PortResult parse_port(const std::string& word);

struct HostResult {
  enum class Status { ok, no_address, temporary_failure };
  Status status = Status::ok;
  int error = 0;  // errno-style, for temporary_failure
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool dual_stack = false;  // bind "::" with IPV6_V6ONLY off
};
HostResult resolve_listen_host(const std::string& word, bool ipv4_only, unsigned scope_id);

}  // namespace ucspi
