// tcpserver's -v log lines, byte for byte as djb writes them (spec §3). Each function returns
// one whole line including '\n', so the caller can emit it with one write(2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ucspi {

// djb's safecats: at most 100 bytes, bytes <33 or >126 and '%' ':' become '?', and "..." is
// appended whenever 100 bytes were consumed (even for exactly 100).
void append_safe(std::string& out, std::string_view field, bool keep_colons = false);

// Every warning's start; also what a failed event callback says (Logger::failed_callback).
inline constexpr std::string_view warning_head = "tcpserver: warning: ";

std::string status_line(unsigned long children, unsigned long limit);
std::string pid_line(unsigned long pid, std::string_view remote_ip);
// A child prints its own pid, ok and relay lines (ChildIntro): each head, its pid, the tail.
inline constexpr std::string_view pid_head = "tcpserver: pid ";
inline constexpr std::string_view ok_head = "tcpserver: ok ";
inline constexpr std::string_view relay_head = "tcpserver: relay ";
std::string pid_tail(std::string_view remote_ip);
std::string end_line(unsigned long pid, int wait_status);

struct DecisionFields {
  unsigned long pid;
  const std::string* local_host;  // null: unset
  std::string_view local_ip;
  std::uint16_t local_port;
  const std::string* remote_host;  // null: unset
  std::string_view remote_ip;
  const std::string* remote_info;  // null: unset
  std::uint16_t remote_port;
  // IPv6 addresses keep their ':' (fefe's build logs them so); djb's IPv4 fields are unchanged.
  bool ip_fields_keep_colons = false;
};

// "tcpserver: ok PID LHOST:LIP:LPORT RHOST:RIP:RINFO:RPORT" (or "deny").
std::string decision_line(std::string_view verdict, const DecisionFields& f);
std::string decision_tail(const DecisionFields& f);  // f.pid unused

// "tcpserver: warning: dropping connection, WHAT" (djb's DROP prefix).
std::string dropping_line(std::string_view what);
// The same when memory ran out, ready before it did: writing it allocates nothing.
inline constexpr std::string_view out_of_memory_line =
    "tcpserver: warning: dropping connection, out of memory\n";
inline constexpr std::string_view loop_setup_failed_line =
    "tcpserver: fatal: unable to set up the event loop: out of memory\n";
// A child that cannot become its program says why, up to the error it appends with ": ERROR\n":
// a connection's child as djb's ("dropping connection, unable to run PROG"), a store helper
// as ours ("unable to run PROG", "unable to set up descriptors for PROG").
std::string connection_setup_failure_head();
std::string connection_run_failure_head(std::string_view program);
std::string helper_setup_failure_head(std::string_view program);
std::string helper_run_failure_head(std::string_view program);
// "tcpserver: warning: unable to accept: ERROR" (ours: djb's loop retried silently).
std::string accept_error_line(int err);
// Under -v, after the ok line of a client the roaming store lets relay (ours):
// "tcpserver: relay PID IP by KIND".
std::string relay_line(unsigned long pid, std::string_view ip, std::string_view kind);
std::string relay_tail(std::string_view ip, std::string_view kind);
// Under -v, after the pid line of a connection from a trusted balancer (-y; ours):
// "tcpserver: proxy PID via BALANCERIP:PORT v1" (or v2), followed by " LOCAL" or " UNKNOWN"
// when the header named no client and the balancer itself is served.
inline constexpr std::string_view proxy_head = "tcpserver: proxy ";
std::string proxy_line(unsigned long pid, std::string_view balancer_ip, std::uint16_t port,
                       int version, std::string_view no_client);
std::string proxy_tail(std::string_view balancer_ip, std::uint16_t port, int version,
                       std::string_view no_client);
// The roaming store could not answer, and when it answers again (ours):
// "tcpserver: warning: roaming store STORE unavailable: PROBLEM"
// "tcpserver: info: roaming store STORE back"
std::string store_unavailable_line(std::string_view store, std::string_view problem);
std::string store_back_line(std::string_view store);
// libevent's own messages, as ours: "tcpserver: warning: libevent: MESSAGE" ("" for chatter).
std::string libevent_warning_line(int severity, const char* message);
// It answered, but refused this key: "tcpserver: warning: roaming store STORE: PROBLEM".
std::string store_refusal_line(std::string_view store, std::string_view problem);

}  // namespace ucspi
