#include "tcpserver/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <new>

#include "rules/base/error_str.h"
#include "rules/event/callback_guard.h"
#include "tcpserver/log_lines.h"
#include "tcpserver/socket_address.h"

extern char** environ;

namespace ucspi {
namespace {

constexpr int status_drop = 111 << 8;  // and a dropping child: exit 111
constexpr unsigned long accept_batch = 64;

// Numbers for connections that never get a child (deny, drop): above pid_max, so log readers
// that pair "pid N" with "end N" never confuse them with a real process.
std::uint64_t first_synthetic_pid() {
  std::uint64_t pid_max = 0;
  UniqueFd fd(::open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC));
  char text[32];
  const ssize_t n = fd ? ::read(fd.get(), text, sizeof text) : -1;
  for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i)
    pid_max = pid_max * 10 + static_cast<std::uint64_t>(text[i] - '0');
  if (pid_max == 0) pid_max = 4194304;
  return pid_max + 1;
}

bool nobody_needs_dns(const Options& o) { return o.local_name && !o.remote_host; }

}  // namespace

Server::Server(const Options& options, event_base* base, UniqueFd listener, const Logger& log,
               RoamingSetup roaming, ChildRegistry& children, const InheritedFds& inherited)
    : options_(options), base_(base), listener_(std::move(listener)), log_(log),
      children_(children), slots_(options.limit, options.per_ip_limit),
      decision_(*this, options, log, std::move(roaming), slots_.held()),
      launcher_(options_.program, std::getenv("PATH"), &inherited, log),
      next_synthetic_pid_(first_synthetic_pid()) {
  if (!nobody_needs_dns(options_)) resolver_ = std::make_unique<Resolver>(base_, log_);
  listener_event_.reset(event_new(base_, listener_.get(), EV_READ | EV_PERSIST, &Server::on_listener, this));
  sigchld_event_.reset(evsignal_new(base_, SIGCHLD, &Server::on_sigchld, this));
  backoff_timer_.reset(evtimer_new(base_, &Server::on_backoff_over, this));
  // Kept so that when the process runs out of descriptors, one can be given back at once.
  reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

int Server::run() {
  if (!listener_event_ || !sigchld_event_ || !backoff_timer_) {
    log_.warn(loop_setup_failed_line);
    return 111;
  }
  event_add(sigchld_event_.get(), nullptr);
  log_.verbose(status_line(slots_.count(), slots_.limit()));
  update_listener();
  return event_base_dispatch(base_) == 0 ? 0 : 111;
}

Connection* Server::find(std::uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void Server::update_listener() {
  bool want = !backing_off_ && !slots_.full();
  if (want == listening_) return;
  if (want)
    event_add(listener_event_.get(), nullptr);
  else
    event_del(listener_event_.get());
  listening_ = want;
}

void Server::on_listener(evutil_socket_t, short, void* self) {
  auto* s = static_cast<Server*>(self);
  guard_callback([s] { s->accept_some(); }, s->log_.failed_callback());
}

void Server::accept_some() {
  for (unsigned long n = 0; n < accept_batch && !slots_.full() && !backing_off_; ++n) {
    sockaddr_storage remote{};
    socklen_t len = sizeof remote;
    int fd = ::accept4(listener_.get(), as_sockaddr(remote), &len, SOCK_CLOEXEC);
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
      if (backoff_ms_ == 0) log_.warn(accept_error_line(err));
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

// -C: refused in the parent, before any process exists; not counted against -c.
bool Server::over_per_ip_limit(const UniqueFd& sock, const Endpoint& peer) {
  if (!slots_.ip_full(peer.canonical)) return false;
  sockaddr_storage local{};
  Endpoint here;
  if (local_address_of(sock.get(), local))
    present_endpoint(local, options_.v4_as_mapped || peer.ipv6, here);
  log_limit(synthetic_pid(), here, peer);
  return true;
}

void Server::log_limit(std::uint64_t pid, const Endpoint& here, const Endpoint& peer) {
  DecisionFields f{static_cast<unsigned long>(pid), nullptr, here.ip, here.port,
                   nullptr, peer.ip, nullptr, peer.port, peer.ipv6};
  log_.verbose(decision_line("limit", f));
}

// -C counts a trusted balancer's connections for the client its header names, never for the
// balancer (which would soon reach any per-IP limit).
bool Server::client_named(Connection& c) {
  const std::string& balancer = c.balancer()->endpoint.canonical;
  const bool full = slots_.ip_full(c.remote().canonical);
  slots_.move(balancer, c.remote().canonical);
  if (!full) return true;
  const std::uint64_t pid = synthetic_pid();
  log_.verbose(balancer_line(c, static_cast<unsigned long>(pid)));
  log_limit(pid, c.local(), c.remote());
  close_without_child(c);
  return false;
}

void Server::accept_one(UniqueFd sock, const sockaddr_storage& remote) {
  Endpoint peer;
  if (!present_endpoint(remote, options_.v4_as_mapped, peer)) return;
  // A trusted balancer's connection is counted for its client once the header names one.
  if (!options_.proxies.trusts(remote) && over_per_ip_limit(sock, peer)) return;
  const std::uint64_t id = next_id_++;
  Connection* raw = nullptr;
  try {
    // Counted only once it is stored, so that dropping it later releases exactly one slot.
    auto conn = std::make_unique<Connection>(*this, base_, resolver_.get(), options_, id,
                                             std::move(sock), remote);
    raw = conn.get();
    connections_.emplace(id, std::move(conn));
    slots_.take(peer.canonical);
  } catch (const std::bad_alloc&) {
    connections_.erase(id);
    log_.warn(dropping_line("out of memory"));
    start_backoff();
    return;
  }
  log_.verbose(status_line(slots_.count(), slots_.limit()));
  try {
    raw->start();
  } catch (const std::bad_alloc&) {
    abandon(id);
    start_backoff();
  }
}

void Server::lookups_done(Connection& c) {
  const std::uint64_t id = c.id();
  try {
    decision_.decide(c);
  } catch (const std::bad_alloc&) {
    abandon(id);
  }
}

void Server::serve(Connection& c, const ChildIntro& intro) {
  const std::vector<char*> envp = c.env().apply(environ);
  const pid_t pid = launcher_.start(envp.data(), c.fd(), intro);
  if (pid < 0) {
    const int err = errno;
    log_.warn(dropping_line(std::string("unable to fork: ") + error_str(err)));
    close_without_child(c);
    start_backoff();  // RLIMIT_NPROC or memory: give the children time to exit
    return;
  }
  std::string ip = c.remote().canonical;
  connections_.erase(c.id());  // closes our copy of the socket
  children_.add(pid, [this, pid, ip = std::move(ip)](int status) {
    child_exited(static_cast<unsigned long>(pid), ip, status);
  });
}

void Server::deny(Connection& c) {
  decision_.log_denied(c, static_cast<unsigned long>(synthetic_pid()));
  close_without_child(c);
}

void Server::refuse(Connection& c, const LimitRefusal& refusal) {
  // One try, never waiting: a client that does not read its DIEMSG gets the close alone.
  if (!refusal.die_message.empty()) {
    [[maybe_unused]] const ssize_t n = ::send(c.fd(), refusal.die_message.data(),
                                              refusal.die_message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  decision_.log_denied(c, static_cast<unsigned long>(synthetic_pid()), refusal.flag);
  close_without_child(c);
}

void Server::child_exited(unsigned long pid, const std::string& ip, int status) {
  log_.verbose(end_line(pid, status));
  release_slot(ip);
}

void Server::drop(Connection& c, const std::string& warning) {
  const std::uint64_t pid = synthetic_pid();
  log_.verbose(pid_line(pid, c.remote().ip));
  if (c.balancer()) log_.verbose(balancer_line(c, static_cast<unsigned long>(pid)));
  log_.warn(dropping_line(warning));
  log_.verbose(end_line(pid, status_drop));
  close_without_child(c);
}

void Server::close_without_child(Connection& c) {
  const std::string ip = c.remote().canonical;
  connections_.erase(c.id());
  release_slot(ip);
}

// A connection that cannot be served because memory ran out: close it and free its slot
// without building more strings than we must.
void Server::abandon(std::uint64_t id) noexcept {
  log_.warn(out_of_memory_line);
  try {
    if (Connection* c = find(id)) close_without_child(*c);
  } catch (...) {
    connections_.erase(id);  // its slot stays counted until restart: better than a crash
  }
}

void Server::release_slot(const std::string& ip) {
  slots_.release(ip);
  log_.verbose(status_line(slots_.count(), slots_.limit()));
  update_listener();
}

void Server::on_sigchld(evutil_socket_t, short, void* self) {
  auto* s = static_cast<Server*>(self);
  guard_callback([s] { s->children_.reap(); }, s->log_.failed_callback());
}

std::uint64_t Server::synthetic_pid() { return next_synthetic_pid_++; }

}  // namespace ucspi
