// Limits set as variables by the -x rules, compatible with the "tcpserver limits" patch that
// qmailtoaster and many qmail hosts run (doc/limits.md): MAXLOAD (the 1-minute load average
// times 100 under which connections are served), MAXCONNIP (connections at once from one
// address), MAXCONNC (from one network: network_counts.h), DIEMSG (a line written to a
// refused client before the close). A variable in tcpserver's own environment applies to every
// connection whose rule does not set it. Decided in the parent, after the rules and before the
// roaming store and any child.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tcpserver/child_env.h"
#include "tcpserver/network_counts.h"

namespace ucspi {

struct LimitRefusal {
  std::string flag;         // for the deny line: "MAXCONNIP:5", "MAXCONNC:15", "LOAD:412"
  std::string die_message;  // DIEMSG plus CRLF, or empty
};

struct LimitCheck {
  std::optional<LimitRefusal> refusal;
  // Values that are not numbers: that limit is not applied (and the rest are); one warning
  // each, "MAXCONNIP=abc is not a number", for the log.
  std::vector<std::string> bad_values;
};

// The 1-minute load average times 100, or nothing when the system cannot say.
using LoadReader = std::optional<unsigned long> (*)();
std::optional<unsigned long> system_load_x100();

// What the environment env.apply(base) holds says for this client, which counts already
// holds (its connection was counted at accept): MAXCONNIP N lets N connections of one address
// be held at once, this one included. The first limit reached wins, in the patch's order:
// MAXLOAD, MAXCONNIP, MAXCONNC.
LimitCheck check_rule_limits(const EnvEdits& env, char* const* base, const NetworkCounts& counts,
                             const std::string& canonical_ip, LoadReader load = system_load_x100);

}  // namespace ucspi
