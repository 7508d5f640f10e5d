#include "tcpserver/relay_decision.h"

#include <ctime>
#include <new>

#include "rules/base/error_str.h"
#include "tcpserver/log_lines.h"
#include "tcpserver/tcp_env.h"

extern char** environ;

namespace ucspi {
namespace {

constexpr int status_deny = 100 << 8;  // what djb's denying child reports: exit 100

Client rules_client(const Connection& c) {
  Client client{c.remote().ip, std::nullopt, std::nullopt};
  if (c.remote_host()) client.host = *c.remote_host();
  if (c.remote_info()) client.info = *c.remote_info();
  return client;
}

// The roaming store's grant. A rule that set RBLSMTPD (a text to reject with, or empty to
// skip the blacklists) keeps it: the admin's rule speaks for that client.
void grant_relay(EnvEdits& env) {
  const bool rule_set_rbl = env.sets("RBLSMTPD");
  env.set("RELAYCLIENT", "");
  if (!rule_set_rbl) env.set("RBLSMTPD", "");
}

}  // namespace

RelayDecision::RelayDecision(DecisionOwner& owner, const Options& options, const Logger& log,
                             RoamingSetup roaming, const NetworkCounts& held)
    : owner_(owner), log_(log), held_(held), roaming_(std::move(roaming)),
      store_health_(log, roaming_.label) {
  if (options.rules)
    rules_ = std::make_unique<RulesGate>(*options.rules, options.rules_missing_ok);
}

void RelayDecision::decide(Connection& c) {
  EnvEdits& env = c.env();
  add_tcp_env(env, c);
  if (rules_) {
    const RuleVerdict verdict = rules_->check(rules_client(c), env);
    if (verdict.error != 0)
      return owner_.drop(c, "unable to read " + rules_->path() + ": " + error_str(verdict.error));
    if (verdict.deny) return owner_.deny(c);
  }
  if (refused_by_limits(c)) return;
  // A rule that grants relaying already decided; otherwise the roaming store is asked.
  if (!roaming_.lookup || env.sets("RELAYCLIENT")) return owner_.serve(c, child_intro(c, false));
  ask_store(c);
}

// The rules' limits (or tcpserver's environment's), before the store is asked: a client
// over them costs no lookup.
bool RelayDecision::refused_by_limits(Connection& c) {
  const LimitCheck check = check_rule_limits(c.env(), environ, held_, c.remote().canonical);
  for (const std::string& bad : check.bad_values)
    log_.warn(std::string(warning_head) + bad + ": that limit is not applied");
  if (!check.refusal) return false;
  owner_.refuse(c, *check.refusal);
  return true;
}

void RelayDecision::ask_store(Connection& c) {
  const std::uint64_t id = c.id();
  roaming_.lookup->lookup(c.remote().canonical, static_cast<std::int64_t>(std::time(nullptr)),
                          [this, id](RelayVerdict verdict) { store_answered(id, verdict); });
}

void RelayDecision::store_answered(std::uint64_t id, const RelayVerdict& verdict) {
  store_health_.note(verdict);
  Connection* c = owner_.find(id);
  if (!c) return;
  try {
    const bool relay = verdict.answer == RelayAnswer::relay;
    if (relay) grant_relay(c->env());
    owner_.serve(*c, child_intro(*c, relay));
  } catch (const std::bad_alloc&) {
    owner_.abandon(id);
  }
}

// What djb's child prints before its exec, and so does ours: the pid and ok lines, then ours
// for a client the store lets relay.
ChildIntro RelayDecision::child_intro(const Connection& c, bool relay_granted) const {
  ChildIntro intro;
  if (log_.verbosity() < 2) return intro;
  intro.add_line(std::string(pid_head), pid_tail(c.remote().ip));
  if (c.balancer()) intro.add_line(std::string(proxy_head), balancer_tail(c));
  intro.add_line(std::string(ok_head), decision_tail(decision_fields(c, 0)));
  if (relay_granted)
    intro.add_line(std::string(relay_head), relay_tail(c.remote().ip, roaming_.kind));
  return intro;
}

void RelayDecision::log_denied(const Connection& c, unsigned long pid, std::string_view flag) const {
  if (log_.verbosity() < 2) return;
  log_.verbose(pid_line(pid, c.remote().ip));
  if (c.balancer()) log_.verbose(balancer_line(c, static_cast<unsigned long>(pid)));
  std::string line = decision_line("deny", decision_fields(c, pid));
  if (!flag.empty()) line.insert(line.size() - (line.ends_with('\n') ? 1 : 0), " " + std::string(flag));
  log_.verbose(line);
  log_.verbose(end_line(pid, status_deny));
}

namespace {

std::string_view no_client_word(ProxyHeader::Command command) {
  switch (command) {
    case ProxyHeader::Command::local: return "LOCAL";
    case ProxyHeader::Command::unknown: return "UNKNOWN";
    case ProxyHeader::Command::proxied: break;
  }
  return {};
}

}  // namespace

std::string balancer_line(const Connection& c, unsigned long pid) {
  const Balancer& b = *c.balancer();
  return proxy_line(pid, b.endpoint.ip, b.endpoint.port, b.version, no_client_word(b.command));
}

std::string balancer_tail(const Connection& c) {
  const Balancer& b = *c.balancer();
  return proxy_tail(b.endpoint.ip, b.endpoint.port, b.version, no_client_word(b.command));
}

DecisionFields decision_fields(const Connection& c, unsigned long pid) {
  return DecisionFields{pid,
                        c.local_host() ? &*c.local_host() : nullptr,
                        c.local().ip,
                        c.local().port,
                        c.remote_host() ? &*c.remote_host() : nullptr,
                        c.remote().ip,
                        c.remote_info() ? &*c.remote_info() : nullptr,
                        c.remote().port,
                        c.remote().ipv6};
}

}  // namespace ucspi
