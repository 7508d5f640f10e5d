#include "tcpserver/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

UniqueFd stream_socket(int family) {
  return UniqueFd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

[[noreturn]] void fail(const char* operation) { throw ListenerError{operation, errno}; }

}  // namespace

Listener open_listener(HostResult& host, unsigned short port, unsigned long backlog) {
  UniqueFd fd = stream_socket(host.addr.ss_family);
  if (!fd && is_v6(host.addr) && host.dual_stack && (errno == EINVAL || errno == EAFNOSUPPORT)) {
    host = resolve_listen_host("0", true, 0);
    fd = stream_socket(host.addr.ss_family);
  }
  if (!fd) fail("unable to create socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (is_v6(host.addr)) {
    int v6only = host.dual_stack ? 0 : 1;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  set_port(host.addr, port);
  if (::bind(fd.get(), as_sockaddr(host.addr), host.len) != 0) fail("unable to bind");
  sockaddr_storage bound{};
  if (!local_address_of(fd.get(), bound)) fail("unable to get local address");
  if (::listen(fd.get(), static_cast<int>(backlog)) != 0) fail("unable to listen");
  return Listener{std::move(fd), port_of(bound)};
}

}  // namespace ucspi
