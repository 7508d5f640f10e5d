// One connection's relay decision, the part of tcpserver a mail admin asks about: the child's
// environment in djb's order (PROTO, TCPLOCAL*, TCPREMOTE*), then the -x rules (deny, or their
// variables), then, for a client no rule lets relay, the roaming store (RELAYCLIENT and an
// empty RBLSMTPD when it logged in within the window). The outcome goes back to the server,
// which owns the connection: serve it (with the lines its child prints: pid, ok, relay), deny
// it, or drop it. A store that cannot answer serves the client without relay, never with it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rules/roaming/roaming_store.h"
#include "tcpserver/child_spawn.h"
#include "tcpserver/connection.h"
#include "tcpserver/logger.h"
#include "tcpserver/network_counts.h"
#include "tcpserver/options.h"
#include "tcpserver/rule_limits.h"
#include "tcpserver/rules_gate.h"
#include "tcpserver/store_health.h"
#include "tcpserver/store_setup.h"

namespace ucspi {

class DecisionOwner {
 public:
  // The connection, or null when it went away while the store was asked.
  virtual Connection* find(std::uint64_t id) = 0;
  virtual void serve(Connection& c, const ChildIntro& intro) = 0;
  virtual void deny(Connection& c) = 0;
  // A limit its rule set is reached (rule_limits.h): the deny lines with the flag, the
  // rule's DIEMSG, close.
  virtual void refuse(Connection& c, const LimitRefusal& refusal) = 0;
  // warning is djb's "dropping connection, ..." text (the rules cdb could not be read).
  virtual void drop(Connection& c, const std::string& warning) = 0;
  virtual void abandon(std::uint64_t id) noexcept = 0;

 protected:
  ~DecisionOwner() = default;
};

class RelayDecision {
 public:
  // held: the connections held now (this one among them), which the rules' MAXCONNIP and
  // MAXCONNC count.
  RelayDecision(DecisionOwner& owner, const Options& options, const Logger& log,
                RoamingSetup roaming, const NetworkCounts& held);
  RelayDecision(const RelayDecision&) = delete;
  RelayDecision& operator=(const RelayDecision&) = delete;

  // Called once c's lookups are done. The outcome reaches the owner now (rules alone decide)
  // or from the event loop (the store answers), exactly once unless c goes away first.
  void decide(Connection& c);

  // The -v lines of a denied connection, numbered pid (a number no process has); flag, when
  // there is one, ends the deny line, as the tcpserver limits patch marks its refusals.
  void log_denied(const Connection& c, unsigned long pid, std::string_view flag = {}) const;

 private:
  void ask_store(Connection& c);
  void store_answered(std::uint64_t id, const RelayVerdict& verdict);
  ChildIntro child_intro(const Connection& c, bool relay_granted) const;

  DecisionOwner& owner_;
  const Logger& log_;
  bool refused_by_limits(Connection& c);

  std::unique_ptr<RulesGate> rules_;  // null: no -x
  const NetworkCounts& held_;
  RoamingSetup roaming_;
  StoreHealth store_health_;
};

// The proxy line of c, which came through a balancer (c.balancer() is set): the whole line,
// numbered pid, or its fields after "tcpserver: proxy PID" for the child to print.
std::string balancer_line(const Connection& c, unsigned long pid);
std::string balancer_tail(const Connection& c);

// The ok/deny line's fields for c, numbered pid.
DecisionFields decision_fields(const Connection& c, unsigned long pid);

}  // namespace ucspi
