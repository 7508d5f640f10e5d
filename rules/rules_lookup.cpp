#include "rules/rules_lookup.h"

#include <cerrno>

namespace ucspi {

int find_rule(CdbReader& cdb, const Client& client, RuleMatch& match) {
  match = RuleMatch{};
  int error = 0;
  for_each_candidate(client, [&](const Candidate& candidate) {
    std::string_view data;
    int r = cdb.find(candidate.key, data);
    if (r < 0) {
      error = EPROTO;
      return true;
    }
    if (r == 0) return false;
    match.found = true;
    match.key.assign(candidate.key);
    match.cidr_prefix = candidate.cidr_prefix;
    match.data = data;
    return true;
  });
  return error;
}

}  // namespace ucspi
