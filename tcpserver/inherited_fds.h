// Which descriptors a child of tcpserver gets: the socket on 0 and 1, tcpserver's fd 2, and the
// descriptors tcpserver itself was started with (relay-ctrl-chdir, for one, opens its
// directory before tcpserver and its relay-ctrl-check child relies on that fd), exactly as
// djb's children get them. Nothing tcpserver or a library opened later (the listener, the
// event loop's fds, DNS and ident sockets, a store helper's socketpair, other clients'
// sockets) can reach a child: they are closed in the child just before exec, whether or not
// anyone remembered to mark them close-on-exec.
#pragma once

#include <vector>

namespace ucspi {

class InheritedFds {
 public:
  // Records the open descriptors above 2. Call it first thing in main, before anything opens
  // a descriptor.
  static InheritedFds capture();

  const std::vector<int>& fds() const { return fds_; }

  // In a child about to exec: closes every descriptor above 2 that was not inherited.
  // Async-signal-safe: no allocation, only system calls.
  void close_others() const noexcept;

  // The same for a helper program, which inherits nothing but 0, 1 and 2.
  static void close_all_above_stdio() noexcept;

 private:
  std::vector<int> fds_;  // ascending
};

// Opens /dev/null on whichever of fds 0, 1 and 2 is closed, so that no descriptor of ours
// ever lands there (an accepted socket on fd 0 or a listener on fd 1 would be a mess).
void occupy_standard_fds() noexcept;

}  // namespace ucspi
