#include "tools/bench/tcpserver-bench/scenarios.h"

#include <algorithm>
#include <stdexcept>

namespace ucspi::bench {
namespace {

// Writes, then ends: the whole connection is the server's cost.
const std::vector<std::string> short_child = {"/bin/echo", "hi"};
// Writes, then holds the connection about a second, as a slow SMTP session does.
const std::vector<std::string> long_child = {"/bin/sh", "-c", "echo hi; exec sleep 1"};

std::vector<unsigned> sorted_levels(std::vector<unsigned> levels) {
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

// Client addresses of the lookups scenarios: each connection of a run from another, as from
// many clients, so that ours cannot answer many connections with one shared PTR query.
constexpr unsigned lookup_sources = 4096;

// djb's option set as qmail run files use it, without lookups (-R -H -l), -1 for the port.
// lookups: without -R -H, so that each connection asks the PTR of its client and its identd
// (still -l: the local name, the same for every connection, is no per-client cost).
ServerSpec tcpserver(const std::string& label, const std::string& binary, unsigned limit,
                     const std::vector<std::string>& extra, const std::vector<std::string>& child,
                     bool lookups = false) {
  ServerSpec s;
  s.label = label;
  s.argv = {binary, "-1", "-R", "-H", "-l", "bench", "-c", std::to_string(limit), "-b",
            std::to_string(limit)};
  if (lookups) s.argv.erase(s.argv.begin() + 2, s.argv.begin() + 4);
  s.argv.insert(s.argv.end(), extra.begin(), extra.end());
  s.argv.insert(s.argv.end(), {"127.0.0.1", "0"});
  s.argv.insert(s.argv.end(), child.begin(), child.end());
  return s;
}

// The rules that let 127.0.0.1 in without relaying, so that every connection asks the store
// (none for an empty spec).
std::vector<std::string> store_args(const BenchFiles& f, const std::string& spec) {
  std::vector<std::string> args = {"-x", f.store_rules_cdb};
  if (!spec.empty()) args.insert(args.end(), {"-s", spec});
  return args;
}

// store, relay-ctrl and mysql: ours asking the store `spec` (label "ours+" + kind), against
// ours with the same rules and no store.
void store_against_none(Scenario& s, const Options& o, const BenchFiles& f, unsigned limit,
                        const std::string& kind, const std::string& spec,
                        const std::string& option, const std::string& holding) {
  s.description = "ours -x rules.cdb with and without -s " + option + " (" + holding +
                  ", every connection asks it), child /bin/echo hi";
  s.a = tcpserver("ours+" + kind, o.ours, limit, store_args(f, spec), short_child);
  s.b = tcpserver("ours", o.ours, limit, store_args(f, ""), short_child);
}

ServerSpec ceiling(unsigned limit, const std::vector<std::string>& child) {
  ServerSpec s;
  s.label = "ceiling";
  s.child = child;
  s.backlog = static_cast<int>(limit);
  return s;
}

// dns+ident (ours) and dns+ident-djb: the server with its lookups on, against itself with -H -R.
void lookups(Scenario& s, const Options& o, const std::string& who, const std::string& binary,
             unsigned limit) {
  s.latency = "DNS " + std::to_string(o.dns_latency_ms) + " ms, ident " +
              std::to_string(o.ident_latency_ms) + " ms";
  s.description = "A without -H -R: each connection asks the PTR of its client (DNSCACHEIP) and "
                  "its identd, the harness's scripted servers answering after a delay (" +
                  s.latency + "); B -H -R; " +
                  std::to_string(lookup_sources) + " client addresses, a private network "
                  "namespace; child /bin/echo hi";
  s.a = tcpserver(who + "+lookups", binary, limit, {}, short_child, true);
  s.b = tcpserver(who, binary, limit, {}, short_child);
  s.a_is_ours = who == "ours";
  s.private_network = true;
  s.sources = lookup_sources;
}

Scenario make(const std::string& name, const Options& o, const BenchFiles& f) {
  std::vector<unsigned> levels = o.concurrency;
  if (std::find(o.curves.begin(), o.curves.end(), name) != o.curves.end())
    levels.insert(levels.end(), o.curve.begin(), o.curve.end());
  if (name == "long") levels = o.long_concurrency;
  levels = sorted_levels(levels);
  const unsigned limit = std::max(100u, levels.back() + 16);
  Scenario s;
  s.name = name;
  s.levels = levels;
  s.connections = o.connections;
  const std::vector<std::string> rules = {"-x", f.rules_cdb};
  if (name == "plain") {
    s.description = "no rules, child /bin/echo hi";
    s.a = tcpserver("ours", o.ours, limit, {}, short_child);
    s.b = tcpserver("djb", o.reference, limit, {}, short_child);
  } else if (name == "rules") {
    s.description = "-x rules.cdb (compiled by djb's tcprules), child /bin/echo hi";
    s.a = tcpserver("ours", o.ours, limit, rules, short_child);
    s.b = tcpserver("djb", o.reference, limit, rules, short_child);
  } else if (name == "store") {
    store_against_none(s, o, f, limit, "store", f.store_spec, "cdb:relay.cdb", "10,000 entries");
  } else if (name == "relay-ctrl") {
    store_against_none(s, o, f, limit, "relay-ctrl", f.relay_ctrl_spec, "relay-ctrl:DIR",
                       "10,000 files");
  } else if (name == "mysql") {
    store_against_none(s, o, f, limit, "mysql", f.mysql_spec, "mysql:CONF",
                       "a private MariaDB, 10,000 rows");
  } else if (name == "mysql+20ms") {
    s.description = "ours -s mysql:CONF through the harness's proxy adding " +
                    std::to_string(f.mysql_latency_ms) + " ms a round trip, against MySQL direct";
    s.a = tcpserver("ours+mysql+" + std::to_string(f.mysql_latency_ms) + "ms", o.ours, limit,
                    store_args(f, f.mysql_delayed_spec), short_child);
    s.b = tcpserver("ours+mysql", o.ours, limit, store_args(f, f.mysql_spec), short_child);
  } else if (name == "long") {
    s.description = "-c 1000 -x rules.cdb, children hold the connection 1 s (sh: echo; sleep 1); "
                    "3 connections per client a run";
    s.a = tcpserver("ours", o.ours, 1000, rules, long_child);
    s.b = tcpserver("djb", o.reference, 1000, rules, long_child);
    s.connections = 0;
    s.per_client = 3;
    s.child_is_short = false;
  } else if (name == "dns+ident") {
    lookups(s, o, "ours", o.ours, limit);
  } else if (name == "dns+ident-djb") {
    lookups(s, o, "djb", o.reference, limit);
  } else if (name == "ceiling") {
    s.description = "ours (no rules) against the harness's accept+fork+exec server, "
                    "child /bin/echo hi";
    s.a = tcpserver("ours", o.ours, limit, {}, short_child);
    s.b = ceiling(limit, short_child);
  } else {
    throw std::logic_error("no scenario " + name);
  }
  return s;
}

}  // namespace

std::vector<Scenario> make_scenarios(const Options& options, const BenchFiles& files) {
  std::vector<Scenario> out;
  for (const std::string& name : options.scenarios)
    // Curves of their own: main runs them.
    if (name != "tcprules" && name != "store-curve" && name != "softlimit")
      out.push_back(make(name, options, files));
  return out;
}

unsigned long connections_at(const Scenario& scenario, unsigned level) {
  return scenario.connections ? scenario.connections : scenario.per_client * level;
}

}  // namespace ucspi::bench
