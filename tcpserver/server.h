// tcpserver's parent: one libevent loop that accepts, runs each connection's lookups, decides
// (rules, then the roaming store), spawns the child, and reaps it. It never blocks: the only
// synchronous work per connection is the cdb lookup and posix_spawn.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "child_env.h"
#include "connection.h"
#include "event_handles.h"
#include "logger.h"
#include "options.h"
#include "resolver.h"
#include "roaming_store.h"
#include "spawn_pool.h"
#include "rules_gate.h"
#include "unique_fd.h"

namespace ucspi {

struct RoamingSetup {
  std::unique_ptr<RoamingLookup> lookup;  // null: no roaming store
  std::string name;                       // for the -v "relay" line, e.g. "cdb"
};

class Server final : public ConnectionOwner {
 public:
  Server(const Options& options, event_base* base, UniqueFd listener, const Logger& log,
         RoamingSetup roaming);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Runs until the process is killed (SIGTERM exits 0 from its handler, as djb's).
  int run();

  Connection* find(std::uint64_t id) override;
  void lookups_done(Connection& c) override;
  void drop(Connection& c, const std::string& warning) override;

 private:
  struct Child {
    std::string ip;  // canonical, for the per-IP count
  };

  static void on_listener(evutil_socket_t, short, void* self);
  static void on_sigchld(evutil_socket_t, short, void* self);
  static void on_backoff_over(evutil_socket_t, short, void* self);

  void accept_some();
  bool handle_accept_error(int err);  // true: keep accepting this round
  void accept_one(UniqueFd sock, const sockaddr_storage& remote);
  void decide(Connection& c);
  void finish_roaming(std::uint64_t id, RelayAnswer answer);
  void spawn(Connection& c, bool relay_granted);
  void spawned(std::uint64_t id, const SpawnOutcome& out);
  void log_decision(Connection& c, std::string_view verdict, unsigned long pid);
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
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<RulesGate> rules_;
  ChildLauncher launcher_;
  std::unique_ptr<SpawnPool> spawner_;
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
  std::unordered_map<pid_t, Child> children_;
  std::unordered_map<pid_t, int> early_exits_;  // reaped before their spawn was reported
  std::unordered_map<std::string, unsigned long> per_ip_;
};

}  // namespace ucspi
