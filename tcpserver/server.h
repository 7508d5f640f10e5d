// tcpserver's parent: one single-threaded libevent loop that accepts, runs each connection's
// lookups, decides (rules, then the roaming store), starts the child, and reaps it. It never
// blocks: the only synchronous work per connection is the cdb lookup and a fork of a small
// process.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "tcpserver/child_env.h"
#include "tcpserver/child_registry.h"
#include "tcpserver/child_spawn.h"
#include "tcpserver/connection.h"
#include "rules/event/event_handles.h"
#include "tcpserver/inherited_fds.h"
#include "tcpserver/log_lines.h"
#include "tcpserver/logger.h"
#include "tcpserver/options.h"
#include "tcpserver/resolver.h"
#include "rules/roaming/roaming_store.h"
#include "tcpserver/rules_gate.h"
#include "tcpserver/store_health.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

struct RoamingSetup {
  std::unique_ptr<RoamingLookup> lookup;  // null: no roaming store
  std::string kind;                       // for the -v "relay" line, e.g. "cdb"
  std::string label;                      // for warnings: the store as given, "cdb:/var/relay.cdb"
};

class Server final : public ConnectionOwner {
 public:
  Server(const Options& options, event_base* base, UniqueFd listener, const Logger& log,
         RoamingSetup roaming, ChildRegistry& children, const InheritedFds& inherited);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until the process is killed (SIGTERM exits 0 from its handler, as djb's).
  int run();

  Connection* find(std::uint64_t id) override;
  void lookups_done(Connection& c) override;
  void drop(Connection& c, const std::string& warning) override;
  void abandon(std::uint64_t id) noexcept override;

 private:
  static void on_listener(evutil_socket_t, short, void* self);
  static void on_sigchld(evutil_socket_t, short, void* self);
  static void on_backoff_over(evutil_socket_t, short, void* self);

  void accept_some();
  bool handle_accept_error(int err);  // true: keep accepting this round
  void accept_one(UniqueFd sock, const sockaddr_storage& remote);
  bool over_per_ip_limit(const UniqueFd& sock, const Endpoint& peer);
  void decide(Connection& c);
  void finish_roaming(std::uint64_t id, const RelayVerdict& verdict);
  void spawn(Connection& c, bool relay_granted);
  void child_exited(unsigned long pid, const std::string& ip, int status);
  ChildIntro child_intro(const Connection& c, bool relay_granted) const;
  static DecisionFields decision_fields(const Connection& c, unsigned long pid);
  void log_decision(const Connection& c, std::string_view verdict, unsigned long pid) const;
  void close_without_child(Connection& c);
  void start_backoff();
  void release_slot(const std::string& ip);
  void update_listener();
  std::uint64_t synthetic_pid();

  const Options& options_;
  event_base* base_;
  UniqueFd listener_;
  const Logger& log_;
  RoamingSetup roaming_;
  StoreHealth store_health_;
  ChildRegistry& children_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<RulesGate> rules_;
  ChildLauncher launcher_;
  EventPtr listener_event_;
  EventPtr sigchld_event_;
  EventPtr backoff_timer_;
  UniqueFd reserve_fd_;
  bool listening_ = false;
  bool backing_off_ = false;
  unsigned long backoff_ms_ = 0;
  unsigned long count_ = 0;  // connections from accept to child exit (-c)
  std::uint64_t next_id_ = 1;
  std::uint64_t next_synthetic_pid_ = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, unsigned long> per_ip_;
};

}  // namespace ucspi
