// Finds the rule for a client in a rules cdb: the lookup order of lookup_order.h against a
// mapped cdb. Used by tcprulescheck and tcpserver.
#pragma once

#include <string>
#include <string_view>

#include "rules/cdb/cdb_file.h"
#include "rules/lookup_order.h"

namespace ucspi {

struct RuleMatch {
  bool found = false;
  std::string key;       // the raw key that matched
  int cidr_prefix = -1;  // >= 0 when key is a CIDR key
  std::string_view data; // points into the mapped cdb
};

// 0 on success (match.found tells whether any key matched), else an errno value.
int find_rule(CdbReader& cdb, const Client& client, RuleMatch& match);

}  // namespace ucspi
