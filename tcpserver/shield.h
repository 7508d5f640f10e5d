// The boundary between libevent (C) and our code: an exception must never unwind through a C
// frame. Every callback libevent calls runs its body through shield(), which catches what
// escaped (in practice std::bad_alloc when a softlimit leaves no memory), says so, and returns
// to the loop. Callers that own a connection catch first and drop that connection.
#pragma once

#include <exception>
#include <new>

#include "tcpserver/logger.h"

namespace ucspi {

template <typename Body>
void shield(const Logger& log, Body&& body) noexcept {
  try {
    body();
  } catch (const std::bad_alloc&) {
    log.warn("tcpserver: warning: out of memory\n");
  } catch (...) {
    log.warn("tcpserver: warning: internal error in an event callback\n");
  }
}

}  // namespace ucspi
