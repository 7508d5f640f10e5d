// The lookup of an SMTP host that reads a local replica of the roaming table and falls back to
// the primary (doc/guides/replicated-roaming.md). The rule, which bounds the delay from a login
// on the primary to the first relayed connection on this host:
//
//   - the replica answers first; a permanent row, or a key it refuses, is final;
//   - any other answer (a row, no row) is final while the replica is known fresh: both
//     replication threads running and at most max_lag seconds behind, as read within the last
//     2 s. Then a login on the primary reaches the replica within about max_lag + 2 s, so a
//     miss is honest within that bound, and most SMTP connections (misses) never touch the
//     primary;
//   - otherwise (not known fresh, or the replica cannot answer) the primary is asked, and its
//     answer, a row or no row, is the answer: it holds every login;
//   - if the primary cannot answer either, a row the replica had still counts (a login that
//     did happen; the window is tcpserver's to apply), and a miss is `unavailable`: no relay.
//
// So no answer ever grants more than some database really holds, and relay resumes as soon as
// either the replication or the primary is back.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mysql/login_lookup.h"

namespace ucspi {

// Empty when the replica is known fresh; else why not, for the reason of a TEMP answer.
using ReplicaStaleness = std::function<std::string()>;

// `staleness` is called only from lookups' callbacks. Destroying the result abandons pending
// lookups: no callback runs afterwards.
std::unique_ptr<LoginLookup> make_replicated_login_lookup(std::unique_ptr<LoginLookup> replica,
                                                          std::unique_ptr<LoginLookup> primary,
                                                          ReplicaStaleness staleness);

}  // namespace ucspi
