// Port names ("smtp", "pop3") as /etc/services lists them. djb's tcpserver asked
// getservbyname(3); ours is linked statically (to fit under softlimit), where the C library's
// name-service switch would load shared modules, and a second C library with them, into the
// process. Reading the file ourselves is what the switch's "files" source does.
#pragma once

#include <optional>
#include <string_view>

namespace ucspi {

// The TCP port of name (its official name or an alias), or nothing.
std::optional<unsigned short> tcp_service_port(std::string_view name,
                                               const char* path = "/etc/services");

}  // namespace ucspi
