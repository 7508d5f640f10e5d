#include "tools/bench/tcpserver-bench/ceiling_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "rules/base/error_str.h"
#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

[[noreturn]] void fail_sys(const std::string& what) {
  throw std::runtime_error(what + ": " + error_str(errno));
}

}  // namespace

Listener listen_on_loopback(int backlog) {
  Listener l;
  l.fd = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd) fail_sys("unable to create a socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l.fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == -1)
    fail_sys("unable to bind 127.0.0.1");
  if (listen(l.fd.get(), backlog) == -1) fail_sys("unable to listen");
  socklen_t len = sizeof sa;
  if (getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == -1)
    fail_sys("unable to read the socket's port");
  l.port = ntohs(sa.sin_port);
  return l;
}

void serve_ceiling(const Listener& listener, const std::vector<std::string>& argv) {
  std::vector<char*> args = c_strings(argv);
  char* no_env[] = {nullptr};
  signal(SIGCHLD, SIG_IGN);
  while (true) {
    const UniqueFd conn(accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE ||
          errno == ENOBUFS || errno == ENOMEM)
        continue;
      fail_sys("accept failed");
    }
    // posix_spawn, not fork: glibc starts the child sharing our memory until it execs
    // (clone with CLONE_VM|CLONE_VFORK), so no page table is copied. That is the least any
    // server of this kind can pay per connection, which is what a ceiling must be.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on 0 and 1; the accepted fd itself closes at exec.
    posix_spawn_file_actions_adddup2(&actions, conn.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, conn.get(), 1);
    pid_t pid = 0;
    posix_spawn(&pid, args[0], &actions, nullptr, args.data(), no_env);
    posix_spawn_file_actions_destroy(&actions);
    // The parent's copy closes here; a failed spawn drops the connection, as the client sees.
  }
}

}  // namespace ucspi::bench
