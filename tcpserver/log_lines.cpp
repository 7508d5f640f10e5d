#include "tcpserver/log_lines.h"

#include <initializer_list>

#include "rules/base/error_str.h"
#include "rules/event/event_log.h"

namespace ucspi {
namespace {

constexpr std::string_view dropping_head = "dropping connection, ";

std::string joined(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

// "tcpserver: LEVEL: roaming store STORE" + rest + "\n"
std::string roaming_store_line(std::string_view level, std::string_view store,
                               std::initializer_list<std::string_view> rest) {
  std::string line = joined({"tcpserver: ", level, ": roaming store ", store});
  for (std::string_view part : rest) line += part;
  line += '\n';
  return line;
}

}  // namespace

void append_safe(std::string& out, std::string_view field, bool keep_colons) {
  std::size_t i = 0;
  for (; i < field.size() && i < 100; ++i) {
    auto c = static_cast<unsigned char>(field[i]);
    if (c == '\0') return;  // djb's fields are C strings
    if (c < 33 || c > 126 || c == '%' || (c == ':' && !keep_colons)) c = '?';
    out += static_cast<char>(c);
  }
  if (i == 100) out += "...";
}

std::string status_line(unsigned long children, unsigned long limit) {
  return "tcpserver: status: " + std::to_string(children) + "/" + std::to_string(limit) + "\n";
}

std::string pid_line(unsigned long pid, std::string_view remote_ip) {
  return std::string(pid_head) + std::to_string(pid) + pid_tail(remote_ip);
}

std::string pid_tail(std::string_view remote_ip) {
  std::string line = " from ";
  line += remote_ip;
  line += '\n';
  return line;
}

std::string end_line(unsigned long pid, int wait_status) {
  return "tcpserver: end " + std::to_string(pid) + " status " +
         std::to_string(static_cast<unsigned>(wait_status)) + "\n";
}

std::string decision_line(std::string_view verdict, const DecisionFields& f) {
  std::string line = "tcpserver: ";
  append_safe(line, verdict);
  line += ' ';
  append_safe(line, std::to_string(f.pid));
  return line + decision_tail(f);
}

std::string decision_tail(const DecisionFields& f) {
  const bool keep = f.ip_fields_keep_colons;
  std::string line = " ";
  if (f.local_host) append_safe(line, *f.local_host);
  line += ':';
  append_safe(line, f.local_ip, keep);
  line += ':';
  append_safe(line, std::to_string(f.local_port));
  line += ' ';
  if (f.remote_host) append_safe(line, *f.remote_host);
  line += ':';
  append_safe(line, f.remote_ip, keep);
  line += ':';
  if (f.remote_info) append_safe(line, *f.remote_info);
  line += ':';
  append_safe(line, std::to_string(f.remote_port));
  line += '\n';
  return line;
}

std::string dropping_line(std::string_view what) {
  return joined({warning_head, dropping_head, what, "\n"});
}

std::string connection_setup_failure_head() {
  return joined({warning_head, dropping_head, "unable to set up descriptors: "});
}

std::string connection_run_failure_head(std::string_view program) {
  return joined({warning_head, dropping_head, "unable to run ", program, ": "});
}

std::string helper_setup_failure_head(std::string_view program) {
  return joined({warning_head, "unable to set up descriptors for ", program, ": "});
}

std::string helper_run_failure_head(std::string_view program) {
  return joined({warning_head, "unable to run ", program, ": "});
}

std::string accept_error_line(int err) {
  return joined({warning_head, "unable to accept: ", error_str(err), "\n"});
}

std::string relay_line(unsigned long pid, std::string_view ip, std::string_view kind) {
  return std::string(relay_head) + std::to_string(pid) + relay_tail(ip, kind);
}

std::string relay_tail(std::string_view ip, std::string_view kind) {
  std::string line = " ";
  append_safe(line, ip, true);
  line += " by ";
  line += kind;
  line += '\n';
  return line;
}

std::string proxy_line(unsigned long pid, std::string_view balancer_ip, std::uint16_t port,
                       int version, std::string_view no_client) {
  return std::string(proxy_head) + std::to_string(pid) +
         proxy_tail(balancer_ip, port, version, no_client);
}

std::string proxy_tail(std::string_view balancer_ip, std::uint16_t port, int version,
                       std::string_view no_client) {
  std::string line = " via ";
  append_safe(line, balancer_ip, true);
  line += ':' + std::to_string(port) + " v" + std::to_string(version);
  if (!no_client.empty()) line += ' ';
  line += no_client;
  line += '\n';
  return line;
}

std::string store_unavailable_line(std::string_view store, std::string_view problem) {
  return roaming_store_line("warning", store, {" unavailable: ", problem});
}

std::string store_back_line(std::string_view store) {
  return roaming_store_line("info", store, {" back"});
}

std::string store_refusal_line(std::string_view store, std::string_view problem) {
  return roaming_store_line("warning", store, {": ", problem});
}

std::string libevent_warning_line(int severity, const char* message) {
  return libevent_line("tcpserver", severity, message);
}

}  // namespace ucspi
