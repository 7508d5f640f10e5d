// DNS messages as djb's resolver library writes and reads them, for tcpserver's PTR and -p
// lookups: names kept as wire labels (any byte, '.' and NUL included) until djb's
// dns_domain_todot turns them into text, so TCPREMOTEHOST is byte for byte what djb's shows.
// Pure functions over bytes: no sockets here (dns_client.h sends them).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

inline constexpr std::uint16_t dns_type_a = 1;
inline constexpr std::uint16_t dns_type_ptr = 12;
inline constexpr std::uint16_t dns_type_aaaa = 28;

// Names on the wire: length-prefixed labels ending in a zero byte.
std::string reverse_name(const in_addr& ip);    // d.c.b.a.in-addr.arpa
std::string reverse_name(const in6_addr& ip);   // 32 nibbles .ip6.arpa
// djb's dns_domain_fromdot: '.' separates labels, "\ooo" and "\c" escape a byte; nullopt for a
// name that cannot be sent (an empty label inside, a label over 63 bytes, over 255 in all).
std::optional<std::string> wire_name(std::string_view dotted);
// djb's dns_domain_todot: lowercase, labels joined by '.', every byte other than a-z, 0-9,
// '-' and '_' as "\ooo"; the root is ".".
std::string dotted_name(std::string_view wire);

// djb's dns_ip4 shortcut: a name of digits and dots only is read as addresses, never asked of
// DNS: each dot ends a byte (the number mod 256, "" is 0), and only whole groups of four
// count ("1.2.3.4.5" is 1.2.3.4, "1.2.3" none). The addresses as an A answer's records (4
// bytes each); nullopt for any other name.
std::optional<std::vector<std::string>> numeric_ipv4_list(std::string_view name);

// A recursive query (RD) for one question.
std::string dns_query(std::uint16_t id, std::string_view name, std::uint16_t type);

struct DnsReply {
  enum class Status {
    answer,      // NOERROR or NXDOMAIN: the records, perhaps none
    truncated,   // TC set: ask again over TCP
    server_failed,  // SERVFAIL, REFUSED and the like: ask another server
    foreign,     // not a reply to this query (too short, or the id or the question differ;
                 // QR and the opcode are not looked at, as djb's): ignore it
    malformed,   // the reply, but its answers cannot be read (before the first PTR, for a PTR
                 // question): djb's finds nothing in it, and neither asks again
  };
  Status status = Status::malformed;
  std::vector<std::string> records;  // the rdata of each answer of the asked type, class IN
                                     // (A, AAAA: every one; PTR: the first only, the target
                                     // name in wire form); none when malformed
};

// Reads a reply to dns_query(id, name, type) as djb's resolver does: owners are skipped, never
// compared, so a CNAME chain's records count (RFC 2317 PTRs, A records of an alias).
DnsReply parse_dns_reply(std::string_view packet, std::uint16_t id, std::string_view name,
                         std::uint16_t type);

}  // namespace ucspi
