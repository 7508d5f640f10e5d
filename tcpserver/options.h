// tcpserver's command line, parsed exactly as djb's sgetopt does it: clustered options,
// attached or separate arguments, "--", stop at the first non-option, the last of a pair wins,
// numbers through scan_ulong (garbage reads as 0). Our own options (-C, -s, -w, -y, -Y) are strict
// instead: a value they do not take is a usage error, never a silently different setting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tcpserver/proxy_trust.h"

namespace ucspi {

struct Options {
  unsigned long limit = 40;            // -c
  unsigned long per_ip_limit = 0;      // -C (ours; 0 = no per-IP limit)
  std::optional<std::string> rules;    // -x
  bool rules_missing_ok = false;       // -X
  std::string banner;                  // -B
  unsigned long uid = 0;               // -u, -U ($UID); 0 = leave alone
  unsigned long gid = 0;               // -g, -U ($GID); 0 = leave alone
  bool print_port = false;             // -1
  unsigned long backlog = 20;          // -b
  bool kill_ip_options = true;         // -O (default) / -o
  bool nodelay = false;                // -D / -d (default)
  int verbosity = 1;                   // -q 0, -Q 1, -v 2
  bool paranoid = false;               // -p / -P
  bool remote_host = true;             // -h / -H
  std::optional<std::string> local_name;  // -l
  bool remote_info = true;             // -r / -R
  unsigned long ident_timeout = 26;    // -t
  bool ipv4_only = false;              // -4 (fefe)
  bool v4_as_mapped = false;           // -6 (fefe)
  std::string interface;               // -I (fefe)
  std::optional<std::string> store;    // -s STORE, -S = mysql:/var/qmail/control/sql (ours)
  std::optional<std::int64_t> window;  // -w SECONDS (ours)
  ProxyTrust proxies;                  // -y LIST (ours): balancers that send a PROXY header
  unsigned long proxy_timeout = 5;     // -Y SECONDS (ours): for the whole header

  // The operands; djb checks them one at a time (host, port, port lookup, program), so the
  // caller decides when a missing one means usage.
  std::optional<std::string> host;
  std::optional<std::string> port;
  std::vector<std::string> program;  // program and its arguments
};

struct ParsedCommandLine {
  enum class Status { ok, usage };
  // usage: an illegal option, a missing option argument, or a bad value of our own options.
  Status status = Status::ok;
  // Lines sgetopt prints while parsing ("tcpserver: illegal option -- z", and ours such as
  // "tcpserver: bad window -w 30m: want seconds, 1 or more"); printed even under -q, because
  // djb prints them before -q takes effect.
  std::vector<std::string> parse_messages;
};

// Messages name basename(argv[0]); -U reads $UID and $GID at the point it appears.
ParsedCommandLine parse_options(int argc, const char* const* argv, Options& out);

// djb's usage line (without the trailing newline).
const char* usage_line();


}  // namespace ucspi
