#include "tools/bench/tcpserver-bench/netns.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"

namespace ucspi::bench {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + error_str(errno));
}

// A new namespace has lo, with 127.0.0.1/8, but down: nothing would connect.
void bring_loopback_up() {
  const UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) fail("unable to make a socket to bring lo up in the private network namespace");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) == -1) fail("unable to read lo's flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) == -1) fail("unable to bring lo up");
}

void enter_private_network() {
  // unshare(CLONE_NEWNET) moves only the calling thread: the main thread stays where it was.
  if (unshare(CLONE_NEWNET) == -1)
    fail("the dns+ident scenarios need a network namespace of their own (for ports 53 and 113 "
         "on loopback), which takes root (uid " + std::to_string(geteuid()) +
         "): unshare(CLONE_NEWNET) failed");
  bring_loopback_up();
}

}  // namespace

void run_in_private_network(const std::function<void()>& body) {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      enter_private_network();
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace ucspi::bench
