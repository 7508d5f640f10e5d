#include "mysql/server_address.h"

#include <netdb.h>
#include <sys/socket.h>

#include <memory>

#include "rules/base/ip_address.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {
namespace {

struct AddrinfoFree {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};

std::string numeric_host(const addrinfo& ai) {
  char host[NI_MAXHOST];
  if (getnameinfo(ai.ai_addr, ai.ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
    return {};
  return host;
}

}  // namespace

std::string resolve_server_once(const std::string& server) {
  if (server == "localhost" || parse_ip4(server) || parse_ip6(server)) return server;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  int rc = getaddrinfo(server.c_str(), nullptr, &hints, &raw);
  if (rc != 0) throw StoreError("mysql: cannot resolve server " + server + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  for (int family : {AF_INET, AF_INET6})
    for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next)
      if (ai->ai_family == family)
        if (std::string host = numeric_host(*ai); !host.empty()) return host;
  throw StoreError("mysql: server " + server + " has no usable address");
}

}  // namespace ucspi
