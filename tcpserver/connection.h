// One accepted connection before its child exists: the banner, then the local and remote PTR
// lookups and the ident query, all started at once on the event loop, each with its timeout.
// A trusted balancer's connection (-y) reads its PROXY header first, and everything after it is
// about the client the header names. When all have finished the owner decides (rules, roaming store) and spawns or closes.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tcpserver/child_env.h"
#include "tcpserver/endpoint.h"
#include "rules/event/event_handles.h"
#include "tcpserver/ident_query.h"
#include "tcpserver/options.h"
#include "tcpserver/proxy_reader.h"
#include "tcpserver/resolver.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

class Connection;

class ConnectionOwner {
 public:
  virtual Connection* find(std::uint64_t id) = 0;
  // Every lookup has finished. The owner may destroy the connection.
  virtual void lookups_done(Connection& c) = 0;
  // A trusted balancer's PROXY header named the real client (c.remote() now, c.balancer()
  // before): move its slot there and apply -C to it. False if it closed c instead.
  virtual bool client_named(Connection& c) = 0;
  // The connection must be dropped; warning is djb's "dropping connection, ..." text.
  virtual void drop(Connection& c, const std::string& warning) = 0;
  // Memory ran out while serving it: close it and free its slot, whatever it costs.
  virtual void abandon(std::uint64_t id) noexcept = 0;

 protected:
  ~ConnectionOwner() = default;
};

// The trusted balancer (-y) a connection came through, and what its header said.
struct Balancer {
  Endpoint endpoint;
  int version = 0;
  ProxyHeader::Command command = ProxyHeader::Command::unknown;
};

class Connection {
 public:
  Connection(ConnectionOwner& owner, event_base* base, Resolver* resolver, const Options& options,
             std::uint64_t id, UniqueFd sock, const sockaddr_storage& remote);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Socket options, the PROXY header from a trusted balancer, banner, local address, lookups. May call back into the owner (and so be
  // destroyed) before returning.
  void start();

  std::uint64_t id() const { return id_; }
  int fd() const { return sock_.get(); }
  const Endpoint& local() const { return local_; }
  const Endpoint& remote() const { return remote_; }
  const std::optional<std::string>& local_host() const { return local_host_; }
  const std::optional<std::string>& remote_host() const { return remote_host_; }
  const std::optional<std::string>& remote_info() const { return remote_info_; }
  // Set once a trusted balancer's header was read; remote() and local() are then the client's.
  const std::optional<Balancer>& balancer() const { return balancer_; }
  // The child's environment edits, built once the lookups are done.
  EnvEdits& env() { return env_; }

 private:
  void apply_socket_options();
  void read_proxy_header();
  void proxy_header_read(ProxyReader::Outcome outcome);
  void start_serving();
  bool write_banner();  // false if it dropped the connection
  static void on_banner_writable(evutil_socket_t, short, void* self);
  void start_lookups();
  void start_remote_host();
  void task_done();

  ConnectionOwner& owner_;
  event_base* base_;
  Resolver* resolver_;
  const Options& options_;
  std::uint64_t id_;
  UniqueFd sock_;
  sockaddr_storage remote_addr_;
  sockaddr_storage local_addr_{};
  bool local_known_ = false;  // a PROXY header gave local_addr_
  Endpoint local_;
  Endpoint remote_;
  std::optional<std::string> local_host_;
  std::optional<std::string> remote_host_;
  std::optional<std::string> remote_info_;
  std::unique_ptr<ProxyReader> proxy_;
  std::optional<Balancer> balancer_;
  std::size_t banner_sent_ = 0;
  EventPtr banner_event_;
  std::unique_ptr<IdentQuery> ident_;
  int pending_ = 0;
  EnvEdits env_;
};

}  // namespace ucspi
