// The variables tcpserver sets for every child, in djb's order (PROTO, TCPLOCAL*, TCPREMOTE*),
// plus the TCP6* variables of fefe's build for clients presented as IPv6.
#pragma once

#include "tcpserver/child_env.h"
#include "tcpserver/connection.h"

namespace ucspi {

void add_tcp_env(EnvEdits& env, const Connection& c);

}  // namespace ucspi
