#include "server.h"

#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <fstream>

#include "error_str.h"
#include "log_lines.h"

extern char** environ;

namespace ucspi {
namespace {

constexpr std::string_view dropping = "tcpserver: warning: dropping connection, ";
constexpr int status_deny = 100 << 8;  // what djb's denying child reports: exit 100
constexpr int status_drop = 111 << 8;  // and a dropping child: exit 111
constexpr unsigned long accept_batch = 64;
// Children waiting for a CPU to exec hold a worker each; four keep two cores busy.
constexpr unsigned spawn_threads = 4;

// Numbers for connections that never get a child (deny, drop): above pid_max, so log readers
// that pair "pid N" with "end N" never confuse them with a real process.
std::uint64_t first_synthetic_pid() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  std::uint64_t pid_max = 0;
  if (!(in >> pid_max) || pid_max == 0) pid_max = 4194304;
  return pid_max + 1;
}

bool nobody_needs_dns(const Options& o) { return o.local_name && !o.remote_host; }

void add_tcp_env(EnvEdits& env, const Connection& c) {
  const Endpoint& local = c.local();
  const Endpoint& remote = c.remote();
  const bool v6 = remote.ipv6;
  const std::string local_port = std::to_string(local.port);
  const std::string remote_port = std::to_string(remote.port);
  env.set("PROTO", v6 ? "TCP6" : "TCP");
  env.set("TCPLOCALIP", local.ip);
  if (v6) env.set("TCP6LOCALIP", local.ip);
  env.set("TCPLOCALPORT", local_port);
  if (v6) env.set("TCP6LOCALPORT", local_port);
  const std::string* local_host = c.local_host() ? &*c.local_host() : nullptr;
  env.set_or_unset("TCPLOCALHOST", local_host);
  if (v6) env.set_or_unset("TCP6LOCALHOST", local_host);
  if (v6 && remote.scope_id != 0) {
    char name[IF_NAMESIZE];
    env.set("TCP6INTERFACE", if_indextoname(remote.scope_id, name) ? name : "[unknown]");
  }
  env.set("TCPREMOTEIP", remote.ip);
  if (v6) env.set("TCP6REMOTEIP", remote.ip);
  env.set("TCPREMOTEPORT", remote_port);
  if (v6) env.set("TCP6REMOTEPORT", remote_port);
  const std::string* remote_host = c.remote_host() ? &*c.remote_host() : nullptr;
  env.set_or_unset("TCPREMOTEHOST", remote_host);
  if (v6) env.set_or_unset("TCP6REMOTEHOST", remote_host);
  const std::string* remote_info = c.remote_info() ? &*c.remote_info() : nullptr;
  env.set_or_unset("TCPREMOTEINFO", remote_info);
  if (v6) env.set_or_unset("TCP6REMOTEINFO", remote_info);
}

}  // namespace

Server::Server(const Options& options, event_base* base, UniqueFd listener, const Logger& log,
               RoamingSetup roaming)
    : options_(options), base_(base), listener_(std::move(listener)), log_(log),
      roaming_(std::move(roaming)), launcher_(options_.program, std::getenv("PATH")),
      next_synthetic_pid_(first_synthetic_pid()) {
  if (!nobody_needs_dns(options_)) resolver_ = std::make_unique<Resolver>(base_);
  if (options_.rules) rules_ = std::make_unique<RulesGate>(*options_.rules, options_.rules_missing_ok);
  listener_event_.reset(event_new(base_, listener_.get(), EV_READ | EV_PERSIST, &Server::on_listener, this));
  sigchld_event_.reset(evsignal_new(base_, SIGCHLD, &Server::on_sigchld, this));
  backoff_timer_.reset(evtimer_new(base_, &Server::on_backoff_over, this));
  spawner_ = std::make_unique<SpawnPool>(
      base_, launcher_, spawn_threads,
      [this](std::uint64_t id, const SpawnOutcome& out) { spawned(id, out); });
  // Kept so that when the process runs out of descriptors, one can be given back at once.
  reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// Workers may still be spawning with pointers into connections: stop them first.
Server::~Server() { spawner_.reset(); }

int Server::run() {
  if (!listener_event_ || !sigchld_event_ || !backoff_timer_ || !spawner_->ok()) return 111;
  event_add(sigchld_event_.get(), nullptr);
  log_.verbose(status_line(count_, options_.limit));
  update_listener();
  return event_base_dispatch(base_) == 0 ? 0 : 111;
}

Connection* Server::find(std::uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void Server::update_listener() {
  bool want = !backing_off_ && count_ < options_.limit;
  if (want == listening_) return;
  if (want)
    event_add(listener_event_.get(), nullptr);
  else
    event_del(listener_event_.get());
  listening_ = want;
}

void Server::on_listener(evutil_socket_t, short, void* self) {
  static_cast<Server*>(self)->accept_some();
}

void Server::accept_some() {
  for (unsigned long n = 0; n < accept_batch && count_ < options_.limit && !backing_off_; ++n) {
    sockaddr_storage remote{};
    socklen_t len = sizeof remote;
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&remote), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (!handle_accept_error(errno)) break;
      continue;
    }
    backoff_ms_ = 0;
    accept_one(UniqueFd(fd), remote);
  }
  update_listener();
}

bool Server::handle_accept_error(int err) {
  switch (err) {
    case EAGAIN: return false;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      // Out of resources: hand back the reserve descriptor so the connections already in
      // progress can finish, and pause instead of spinning on a level-triggered event.
      reserve_fd_.reset();
      if (backoff_ms_ == 0)
        log_.warn(std::string("tcpserver: warning: unable to accept: ") + error_str(err) + "\n");
      start_backoff();
      return false;
    default: return true;  // EINTR, ECONNABORTED and network errors of that one client
  }
}

void Server::start_backoff() {
  backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min<unsigned long>(backoff_ms_ * 2, 1000);
  backing_off_ = true;
  timeval tv = to_timeval(backoff_ms_);
  evtimer_add(backoff_timer_.get(), &tv);
  update_listener();
}

void Server::on_backoff_over(evutil_socket_t, short, void* self) {
  auto* s = static_cast<Server*>(self);
  if (!s->reserve_fd_) s->reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  s->backing_off_ = false;
  s->update_listener();
}

void Server::accept_one(UniqueFd sock, const sockaddr_storage& remote) {
  Endpoint peer;
  if (!present_endpoint(remote, options_.v4_as_mapped, peer)) return;
  if (options_.per_ip_limit != 0) {
    auto it = per_ip_.find(peer.canonical);
    if (it != per_ip_.end() && it->second >= options_.per_ip_limit) {
      // -C: refused in the parent, before any process exists; not counted against -c.
      sockaddr_storage local{};
      socklen_t len = sizeof local;
      Endpoint here;
      if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
        present_endpoint(local, options_.v4_as_mapped || peer.ipv6, here);
      const std::string local_port = std::to_string(here.port);
      const std::string remote_port = std::to_string(peer.port);
      DecisionFields f{static_cast<unsigned long>(synthetic_pid()), nullptr, here.ip, local_port,
                       nullptr, peer.ip, nullptr, remote_port, peer.ipv6};
      log_.verbose(decision_line("limit", f));
      return;
    }
  }
  ++count_;
  ++per_ip_[peer.canonical];
  log_.verbose(status_line(count_, options_.limit));
  const std::uint64_t id = next_id_++;
  auto conn = std::make_unique<Connection>(*this, base_, resolver_.get(), options_, id,
                                           std::move(sock), remote);
  Connection* raw = conn.get();
  connections_.emplace(id, std::move(conn));
  raw->start();
}

void Server::lookups_done(Connection& c) { decide(c); }

void Server::decide(Connection& c) {
  EnvEdits& env = c.env();
  add_tcp_env(env, c);
  if (rules_) {
    Client client{c.remote().ip, std::nullopt, std::nullopt};
    if (c.remote_host()) client.host = *c.remote_host();
    if (c.remote_info()) client.info = *c.remote_info();
    RuleVerdict verdict = rules_->check(client, env);
    if (verdict.error != 0)
      return drop(c, "unable to read " + rules_->path() + ": " + error_str(verdict.error));
    if (verdict.deny) {
      const std::uint64_t pid = synthetic_pid();
      log_.verbose(pid_line(pid, c.remote().ip));
      log_decision(c, "deny", pid);
      log_.verbose(end_line(pid, status_deny));
      return close_without_child(c);
    }
  }
  // A rule that grants relaying already decided; otherwise ask the roaming store.
  if (!roaming_.lookup || env.sets("RELAYCLIENT")) return spawn(c, false);
  const std::uint64_t id = c.id();
  roaming_.lookup->lookup(c.remote().canonical, static_cast<std::int64_t>(std::time(nullptr)),
                          [this, id](RelayVerdict verdict) { finish_roaming(id, verdict.answer); });
}

void Server::finish_roaming(std::uint64_t id, RelayAnswer answer) {
  Connection* c = find(id);
  if (!c) return;
  bool relay = answer == RelayAnswer::relay;
  if (relay) {
    EnvEdits& env = c->env();
    bool rule_set_rbl = env.sets("RBLSMTPD");
    env.set("RELAYCLIENT", "");
    if (!rule_set_rbl) env.set("RBLSMTPD", "");
  }
  spawn(*c, relay);
}

void Server::spawn(Connection& c, bool relay_granted) {
  c.set_relay_granted(relay_granted);
  spawner_->submit(c.id(), c.env().apply(environ), c.fd());
}

void Server::spawned(std::uint64_t id, const SpawnOutcome& out) {
  Connection* found = find(id);
  if (!found) return;
  Connection& c = *found;
  if (out.pid < 0 && out.fork_failed) {
    log_.warn(std::string(dropping) + "unable to fork: " + error_str(out.error) + "\n");
    const std::string ip = c.remote().canonical;
    connections_.erase(id);
    release_slot(ip);
    start_backoff();  // RLIMIT_NPROC or memory: give the children time to exit
    return;
  }
  const auto pid = static_cast<std::uint64_t>(out.pid);
  log_.verbose(pid_line(pid, c.remote().ip));
  log_decision(c, "ok", pid);
  if (out.error != 0) {
    // The child exits 111 and its end line comes when it is reaped, as with djb's.
    const std::string what = out.setup_failed ? std::string("unable to set up descriptors: ")
                                              : "unable to run " + options_.program.front() + ": ";
    log_.warn(std::string(dropping) + what + error_str(out.error) + "\n");
  } else if (c.relay_granted()) {
    log_.verbose("tcpserver: relay " + std::to_string(pid) + " " + c.remote().ip + " by " +
                 roaming_.name + "\n");
  }
  std::string ip = c.remote().canonical;
  connections_.erase(id);  // closes our copy of the socket
  auto early = early_exits_.find(out.pid);
  if (early == early_exits_.end()) {
    children_.emplace(out.pid, Child{std::move(ip)});
    return;
  }
  // The child was reaped before its spawn was reported: finish it now, in log order.
  log_.verbose(end_line(pid, early->second));
  early_exits_.erase(early);
  release_slot(ip);
}

void Server::log_decision(Connection& c, std::string_view verdict, unsigned long pid) {
  if (log_.verbosity() < 2) return;
  const std::string local_port = std::to_string(c.local().port);
  const std::string remote_port = std::to_string(c.remote().port);
  DecisionFields f{pid,
                   c.local_host() ? &*c.local_host() : nullptr,
                   c.local().ip,
                   local_port,
                   c.remote_host() ? &*c.remote_host() : nullptr,
                   c.remote().ip,
                   c.remote_info() ? &*c.remote_info() : nullptr,
                   remote_port,
                   c.remote().ipv6};
  log_.verbose(decision_line(verdict, f));
}

void Server::drop(Connection& c, const std::string& warning) {
  const std::uint64_t pid = synthetic_pid();
  log_.verbose(pid_line(pid, c.remote().ip));
  log_.warn(std::string(dropping) + warning + "\n");
  log_.verbose(end_line(pid, status_drop));
  close_without_child(c);
}

void Server::close_without_child(Connection& c) {
  const std::string ip = c.remote().canonical;
  connections_.erase(c.id());
  release_slot(ip);
}

void Server::release_slot(const std::string& ip) {
  if (count_ > 0) --count_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  log_.verbose(status_line(count_, options_.limit));
  update_listener();
}

void Server::on_sigchld(evutil_socket_t, short, void* self) {
  auto* s = static_cast<Server*>(self);
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = s->children_.find(pid);
    if (it == s->children_.end()) {
      // Spawned by a worker whose report has not been delivered yet: spawned() finishes it.
      s->early_exits_.emplace(pid, status);
      continue;
    }
    s->log_.verbose(end_line(static_cast<unsigned long>(pid), status));
    std::string ip = std::move(it->second.ip);
    s->children_.erase(it);
    s->release_slot(ip);
  }
}

std::uint64_t Server::synthetic_pid() { return next_synthetic_pid_++; }

}  // namespace ucspi
