// The scripted DNS server's answers, as a zone for the load's clients would give them: the PTR
// of a.b.c.d is a-b-c-d.bench.example, whose A record is a.b.c.d again (so that -p confirms
// it); any other question is NXDOMAIN. One question a query, as both tcpservers ask.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tools/bench/tcpserver-bench/lookup_counters.h"

namespace ucspi::bench {

struct DnsReply {
  std::string packet;
  LookupCounters::Kind kind = LookupCounters::other;
};

// The reply to query (a UDP payload), or nothing for what is no query: too short, a reply
// itself, not exactly one question, a name that does not parse.
std::optional<DnsReply> dns_reply(std::string_view query);

}  // namespace ucspi::bench
