// The MySQL store's lookup as the store helper (relay-mysql serve) asks it: when did this IP
// last log in? It reports times, never verdicts: the relay window is tcpserver's to apply,
// the same way for every store (doc/store-helper-protocol.md).
//
// One persistent nonblocking connection driven by a libevent loop, never blocking it: lookups
// are queued FIFO (identical IPs coalesced, up to 100 distinct IPs asked per query, at most
// 1000 waiting), each answered within query_timeout_ms. A failure answers `unavailable` with
// the reason, drops the connection and reconnects after a backoff (250 ms doubling to 4 s)
// during which lookups answer `unavailable` at once. After each connect the ip_addr column's
// width is read, so a key a narrow column may have cut another address to is `refused`.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mysql/mysql_config.h"
#include "rules/roaming/socketmap.h"

struct event_base;

namespace ucspi {

struct LoginAnswer {
  enum class Status {
    found,        // login holds the newest timestamp among the IP's rows, or permanent
    absent,       // no row (also for a key that is not an IP address)
    unavailable,  // the database cannot answer now: reason says why
    refused,      // never answerable as asked (a too narrow column): reason says why and the fix
  };
  Status status = Status::absent;
  LastLogin login;
  std::string reason;
};

// Called exactly once, later, from the event loop; it must not throw (libevent is C).
using LoginDone = std::function<void(LoginAnswer)>;

class LoginLookup {
 public:
  virtual ~LoginLookup() = default;
  // `ip` in any text form; it is looked up in canonical form (canonical_ip_text).
  virtual void lookup(const std::string& ip, LoginDone done) = 0;
};

// When the connection is made: at the first lookup, or at once (the store helper: the first
// client after tcpserver starts then finds a connection ready, and a database that cannot be
// reached is retried on the backoff before any client waits on it).
enum class ConnectWhen { first_lookup, now };

// With a primary in the config (has_primary), the lookup reads the config's server as a local
// replica and asks the primary when the replica is not known fresh (replicated_login_lookup.h):
// three connections then, the replica's lookup, its replication status, and the primary's
// lookup; an answer takes at most two query timeouts.
//
// A `server` host name is resolved once, here (a name that does not resolve is a StoreError),
// because Connector/C would resolve it with a blocking getaddrinfo() inside every nonblocking
// connect. An invalid table name is a StoreError. The object must be destroyed before `base`;
// destruction abandons pending lookups (their `done` never runs) and no callback runs
// afterwards.
std::unique_ptr<LoginLookup> make_mysql_login_lookup(struct event_base* base,
                                                     const MysqlConfig& config,
                                                     ConnectWhen when = ConnectWhen::first_lookup);

}  // namespace ucspi
