// The order in which rules keys are tried for a client: one pure function shared by
// tcprulescheck and tcpserver. djb's order (rules.c), with the IPv6 and CIDR steps inserted
// where fefe and fehcom put them:
//   1 info@ip          (IPv6 also info@EXPANDED, fehcom's key form)
//   2 info@=host
//   3 ip               (IPv6 also EXPANDED)
//   4 =host
//   5 prefixes of ip ending in '.' (or ':' for IPv6), longest first
//   6 CIDR keys, longest prefix first (/32../0, /128../0), each also with fehcom's trailing NUL
//   7 =.suffixes of host, left to right, then "="
//   8 the empty key
#pragma once

#include <optional>
#include <string_view>

namespace ucspi {

struct Candidate {
  std::string_view key;
  int cidr_prefix = -1;  // >= 0 for a CIDR key: the prefix length it stands for
};

struct Client {
  std::string_view ip;  // as TCPREMOTEIP shows it: dotted quad, or fefe's IPv6 text
  std::optional<std::string_view> host;
  std::optional<std::string_view> info;
};

// Calls visit(candidate) for each key in order until visit returns true (a hit).
// Returns true if a visit returned true. Any error handling is the visitor's.
template <typename Visit>
bool for_each_candidate(const Client& client, Visit&& visit);

}  // namespace ucspi

#include "rules/lookup_order_impl.h"
