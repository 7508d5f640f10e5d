// The database server's address for tcpserver's nonblocking connection. Connector/C resolves a
// host name with a blocking getaddrinfo() inside its nonblocking connect, which would stall
// tcpserver's event loop at every reconnect; so the name is resolved once, at startup.
#pragma once

#include <string>

namespace ucspi {

// server as given when it is an IP address or "localhost" (Connector/C's unix socket), else
// its first address (IPv4 preferred). Throws StoreError when the name does not resolve.
std::string resolve_server_once(const std::string& server);

}  // namespace ucspi
