// tcpserver's parent: one single-threaded libevent loop that accepts, backs off when the
// process runs out of descriptors or memory, counts slots (-c, -C), hands each connection
// whose lookups are done to its relay decision (relay_decision.h), starts the child it
// decides on, and frees the slot when the child exits. It never blocks: the only synchronous
// work per connection is the rules cdb lookup and a vfork of a small process.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "rules/base/unique_fd.h"
#include "rules/event/event_handles.h"
#include "tcpserver/child_registry.h"
#include "tcpserver/child_spawn.h"
#include "tcpserver/client_slots.h"
#include "tcpserver/connection.h"
#include "tcpserver/inherited_fds.h"
#include "tcpserver/logger.h"
#include "tcpserver/options.h"
#include "tcpserver/relay_decision.h"
#include "tcpserver/resolver.h"
#include "tcpserver/store_setup.h"

namespace ucspi {

class Server final : public ConnectionOwner, public DecisionOwner {
 public:
  Server(const Options& options, event_base* base, UniqueFd listener, const Logger& log,
         RoamingSetup roaming, ChildRegistry& children, const InheritedFds& inherited);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until the process is killed (SIGTERM exits 0 from its handler, as djb's).
  int run();

  Connection* find(std::uint64_t id) override;
  void lookups_done(Connection& c) override;
  bool client_named(Connection& c) override;
  void serve(Connection& c, const ChildIntro& intro) override;
  void deny(Connection& c) override;
  void refuse(Connection& c, const LimitRefusal& refusal) override;
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
  void log_limit(std::uint64_t pid, const Endpoint& here, const Endpoint& peer);
  void child_exited(unsigned long pid, const std::string& ip, int status);
  void close_without_child(Connection& c);
  void start_backoff();
  void release_slot(const std::string& ip);
  void update_listener();
  std::uint64_t synthetic_pid();

  const Options& options_;
  event_base* base_;
  UniqueFd listener_;
  const Logger& log_;
  ChildRegistry& children_;
  std::unique_ptr<Resolver> resolver_;
  ClientSlots slots_;  // before decision_, which reads its counts
  RelayDecision decision_;
  ChildLauncher launcher_;
  EventPtr listener_event_;
  EventPtr sigchld_event_;
  EventPtr backoff_timer_;
  UniqueFd reserve_fd_;
  bool listening_ = false;
  bool backing_off_ = false;
  unsigned long backoff_ms_ = 0;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_synthetic_pid_ = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
};

}  // namespace ucspi
