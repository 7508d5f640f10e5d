// The roaming-user table ("did this IP log in by POP/IMAP lately?") as tcpserver and the relay
// tools see it, whatever holds it: the embedded cdb, MySQL/MariaDB, or a relay-ctrl directory.
// IPs handed to a store are always canonical (canonical_ip_text): dotted quad for IPv4 and
// v4-mapped IPv6, RFC 5952 for IPv6. An empty or unparsable address is never a key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/error_str.h"

namespace ucspi {

enum class RelayAnswer {
  relay,        // an entry younger than the window (or a permanent one)
  no_relay,     // no entry, or an expired one
  unavailable,  // the store could not answer: treated as no_relay, never as relay
};

// A lookup's answer. An unavailable store says why, so that tcpserver can tell the admin
// (a store nobody can read must never fail silently).
struct RelayVerdict {
  RelayAnswer answer = RelayAnswer::no_relay;
  std::string problem;  // unavailable only: e.g. "unable to read /var/relay.cdb: access denied"
};

// Thrown by the synchronous (tools') operations with a message fit for "PROG: warning: ...".
// error_number() is the errno behind it, 0 when none: for a caller that has another way round
// some failures (relay-clear, which folds when it may not append to the journal).
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what, int error_number = 0)
      : std::runtime_error(what), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

// The stores' one way to fail naming the operation, djb's way: "unable to open PATH: ERRSTR".
[[noreturn]] inline void throw_store_error(std::string_view what, const std::string& path, int err) {
  throw StoreError(std::string(what) + path + ": " + error_str(err), err);
}

struct RoamingEntry {
  std::string ip;
  std::optional<std::int64_t> last_login;  // Unix seconds; nullopt = permanent (NULL in SQL)
};

// tcpserver's side: asked for connections that no rule denied and no rule gave RELAYCLIENT.
class RoamingLookup {
 public:
  virtual ~RoamingLookup() = default;
  // Calls done exactly once, possibly before returning. Never blocks the caller: a store that
  // talks to a server does so on the event loop it was built with, with its own timeouts.
  // Relay iff an entry exists with last_login > now - window, or a permanent one.
  virtual void lookup(const std::string& ip, std::int64_t now,
                      std::function<void(RelayVerdict)> done) = 0;
};

// The tools' side (relay-allow, relay-clear, relay-list): synchronous, bounded by the store's
// own timeouts, errors as StoreError.
class RoamingAdmin {
 public:
  virtual ~RoamingAdmin() = default;
  virtual void record(const std::string& ip, std::int64_t now) = 0;
  virtual std::vector<RoamingEntry> list() = 0;
  // Removes entries with last_login <= cutoff; permanent entries stay. Returns how many went.
  virtual std::size_t expire(std::int64_t cutoff) = 0;
};

}  // namespace ucspi
