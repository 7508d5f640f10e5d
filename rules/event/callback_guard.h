// libevent calls our callbacks from C: an exception must never unwind through its frames.
// Every callback we give libevent runs its body through guard_callback (tcpserver, and
// relay-mysql serve).
#pragma once

#include <exception>
#include <new>

namespace ucspi {

// Runs body; if it throws, runs recover(reason) with "out of memory" for std::bad_alloc (the
// failure a helper under softlimit actually meets) or the exception's text. Should recovering
// throw as well, noexcept turns it into std::terminate: a program that cares installs a
// terminate handler (relay-mysql serve exits 111 "out of memory" and is restarted).
template <typename Body, typename Recover>
void guard_callback(Body&& body, Recover&& recover) noexcept {
  try {
    body();
  } catch (const std::bad_alloc&) {
    recover("out of memory");
  } catch (const std::exception& e) {
    recover(e.what());
  }
}

}  // namespace ucspi
