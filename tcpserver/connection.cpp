#include "tcpserver/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>

#include "rules/base/error_str.h"
#include "rules/event/callback_guard.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

// Where the header says the client's connection runs.
sockaddr_storage sockaddr_of(const ProxyPeer& peer) {
  return peer.ipv6 ? socket_address(peer.ip6, peer.port) : socket_address(peer.ip4, peer.port);
}

}  // namespace

Connection::Connection(ConnectionOwner& owner, event_base* base, Resolver* resolver,
                       const Options& options, std::uint64_t id, UniqueFd sock,
                       const sockaddr_storage& remote)
    : owner_(owner), base_(base), resolver_(resolver), options_(options), id_(id),
      sock_(std::move(sock)), remote_addr_(remote) {
  present_endpoint(remote_addr_, options_.v4_as_mapped, remote_);
}

void Connection::apply_socket_options() {
  // -O (default): kill IP options, as djb's socket_ipoptionskill; only IPv4 has them.
  in_addr v4;
  if (options_.kill_ip_options && ipv4_of(remote_addr_, v4))
    ::setsockopt(sock_.get(), IPPROTO_IP, IP_OPTIONS, nullptr, 0);
  if (options_.nodelay) {
    int one = 1;
    ::setsockopt(sock_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

void Connection::start() {
  apply_socket_options();
  if (options_.proxies.trusts(remote_addr_)) return read_proxy_header();
  start_serving();
}

// Before the banner: a balancer sends its header at once, and a source that is trusted but
// sends none must not get a greeting meant for a client.
void Connection::read_proxy_header() {
  const std::uint64_t id = id_;
  ConnectionOwner* owner = &owner_;
  // Nothing may throw back into the reader, which this connection's end destroys.
  proxy_ = std::make_unique<ProxyReader>(
      base_, sock_.get(), options_.proxy_timeout, [this, owner, id](ProxyReader::Outcome outcome) {
        guard_callback([&] { proxy_header_read(std::move(outcome)); },
                       [owner, id](const char*) { owner->abandon(id); });
      });
  proxy_->start();
}

void Connection::proxy_header_read(ProxyReader::Outcome outcome) {
  if (!outcome.ok)
    return owner_.drop(*this, "bad PROXY header from " + remote_.ip + ": " + outcome.why);
  const ProxyHeader& header = outcome.header;
  balancer_ = Balancer{remote_, header.version, header.command};
  if (header.command == ProxyHeader::Command::proxied) {
    remote_addr_ = sockaddr_of(header.source);
    local_addr_ = sockaddr_of(header.destination);
    local_known_ = true;
    present_endpoint(remote_addr_, options_.v4_as_mapped, remote_);
    present_endpoint(local_addr_, options_.v4_as_mapped || remote_.ipv6, local_);
    if (!owner_.client_named(*this)) return;
  }
  start_serving();
}

void Connection::start_serving() {
  // djb writes the banner before any lookup, so even a denied client receives it.
  pending_ = 1;  // held until every task has been started
  if (!write_banner()) return;
  if (!local_known_ && !local_address_of(sock_.get(), local_addr_))
    return owner_.drop(*this, std::string("unable to get local address: ") + error_str(errno));
  present_endpoint(local_addr_, options_.v4_as_mapped || remote_.ipv6, local_);
  start_lookups();
  task_done();
}

bool Connection::write_banner() {
  const std::string& banner = options_.banner;
  while (banner_sent_ < banner.size()) {
    ssize_t n = ::send(sock_.get(), banner.data() + banner_sent_, banner.size() - banner_sent_,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      banner_sent_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // A banner larger than the socket buffer: finish it when the client reads.
      if (!banner_event_) {
        banner_event_.reset(event_new(base_, sock_.get(), EV_WRITE | EV_PERSIST,
                                      &Connection::on_banner_writable, this));
        if (!banner_event_) break;
        event_add(banner_event_.get(), nullptr);
        ++pending_;
      }
      return true;
    }
    break;
  }
  if (banner_sent_ < banner.size()) {
    owner_.drop(*this, std::string("unable to print banner: ") + error_str(errno));
    return false;
  }
  return true;
}

void Connection::on_banner_writable(evutil_socket_t, short, void* self) {
  auto* c = static_cast<Connection*>(self);
  guard_callback(
      [c] {
        if (!c->write_banner()) return;
        if (c->banner_sent_ < c->options_.banner.size()) return;
        c->banner_event_.reset();
        c->task_done();
      },
      [c](const char*) { c->owner_.abandon(c->id_); });
}

void Connection::start_lookups() {
  if (options_.local_name) {
    local_host_ = *options_.local_name;  // djb: -l '' sets TCPLOCALHOST to the empty string
  } else {
    ++pending_;
    const std::uint64_t id = id_;
    ConnectionOwner* owner = &owner_;
    resolver_->reverse(local_addr_, [owner, id](std::optional<std::string> name) {
      if (Connection* c = owner->find(id)) {
        c->local_host_ = std::move(name);
        c->task_done();
      }
    });
  }
  if (options_.remote_host) start_remote_host();
  // Ident asks the peer's port 113 about our connection: a proxied client has no connection
  // with us, and the balancer's answer would name its own user, so -y sources get none (-R).
  if (options_.remote_info && !balancer_) {
    ++pending_;
    ident_ = std::make_unique<IdentQuery>(
        base_, local_addr_, remote_addr_, options_.ident_timeout,
        [this](std::optional<std::string> info) {
          remote_info_ = std::move(info);
          task_done();
        });
    ident_->start();
  }
}

void Connection::start_remote_host() {
  ++pending_;
  const std::uint64_t id = id_;
  ConnectionOwner* owner = &owner_;
  resolver_->reverse(remote_addr_, [owner, id](std::optional<std::string> name) {
    Connection* c = owner->find(id);
    if (!c) return;
    if (!name || !c->options_.paranoid) {
      c->remote_host_ = std::move(name);
      return c->task_done();
    }
    std::string host = *name;
    c->resolver_->forward_matches(host, c->remote_addr_, [owner, id, host](bool match) {
      Connection* again = owner->find(id);
      if (!again) return;
      if (match) again->remote_host_ = host;
      again->task_done();
    });
  });
}

void Connection::task_done() {
  if (--pending_ == 0) owner_.lookups_done(*this);
}

}  // namespace ucspi
