#include "tcpserver/tcp_env.h"

#include <net/if.h>

namespace ucspi {
namespace {

const std::string* value_or_null(const std::optional<std::string>& value) {
  return value ? &*value : nullptr;
}

}  // namespace

void add_tcp_env(EnvEdits& env, const Connection& c) {
  const Endpoint& local = c.local();
  const Endpoint& remote = c.remote();
  const bool v6 = remote.ipv6;
  const std::string local_port = std::to_string(local.port);
  const std::string remote_port = std::to_string(remote.port);
  env.set("PROTO", v6 ? "TCP6" : "TCP");
  env.set("TCPLOCALIP", local.ip);
  if (v6) env.set("TCP6LOCALIP", local.ip);
  env.set("TCPLOCALPORT", local_port);
  if (v6) env.set("TCP6LOCALPORT", local_port);
  const std::string* local_host = value_or_null(c.local_host());
  env.set_or_unset("TCPLOCALHOST", local_host);
  if (v6) env.set_or_unset("TCP6LOCALHOST", local_host);
  if (v6 && remote.scope_id != 0) {
    char name[IF_NAMESIZE];
    env.set("TCP6INTERFACE", if_indextoname(remote.scope_id, name) ? name : "[unknown]");
  }
  env.set("TCPREMOTEIP", remote.ip);
  if (v6) env.set("TCP6REMOTEIP", remote.ip);
  env.set("TCPREMOTEPORT", remote_port);
  if (v6) env.set("TCP6REMOTEPORT", remote_port);
  const std::string* remote_host = value_or_null(c.remote_host());
  env.set_or_unset("TCPREMOTEHOST", remote_host);
  if (v6) env.set_or_unset("TCP6REMOTEHOST", remote_host);
  const std::string* remote_info = value_or_null(c.remote_info());
  env.set_or_unset("TCPREMOTEINFO", remote_info);
  if (v6) env.set_or_unset("TCP6REMOTEINFO", remote_info);
}

}  // namespace ucspi
