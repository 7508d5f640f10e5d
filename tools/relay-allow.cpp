// relay-allow [ -s store ] [ -i ip ] [ program [ arg ... ] ]
// Records "this IP just logged in by POP/IMAP" in the roaming store, then execs program with
// the same arguments and environment (PATH search like execvp), so it slots into a
// checkpassword chain (vchkpw-style: `... checkpassword relay-allow qmail-pop3d Maildir`) or a
// Dovecot post-login script (`exec relay-allow "$@"`).
//
// The IP is -i, else $TCPREMOTEIP (tcpserver), else $IP (Dovecot); it is stored in canonical
// form (v4-mapped -> dotted quad, IPv6 -> RFC 5952). The store is -s, else $RELAY_STORE:
// cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR (a mysql: store is recorded by relay-mysql,
// which this program execs with the same arguments: see tool_stores.h).
//
// A missing or garbage IP is bad input: "relay-allow: fatal: ...", exit 100, nothing written
// and nothing run, even with a program; such a chain is broken and must not look healthy.
// (relay-ctrl-allow also killed logins from IPv6 clients, a known complaint: here every IPv6
// and v4-mapped address is a good one.) The store never fails a login: with a program, a
// missing or bad store name and a store failure print "relay-allow: warning: ..." and the
// program runs anyway. Without a program they are fatal: exit 100 for a bad store name, 111
// for a store failure. An exec failure is exit 111.
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "error_str.h"
#include "ip_address.h"
#include "messages.h"
#include "tool_args.h"
#include "tool_stores.h"

using namespace ucspi;

namespace {

constexpr std::string_view usage = "relay-allow: usage: relay-allow [ -s store ] [ -i ip ] [ program [ arg ... ] ]";

struct Problem {
  int exit_code;
  std::string text;
  bool fails_login = false;  // bad input that must stop the chain, not only the recording
};

const char* client_ip_text(const char* option) {
  if (option != nullptr) return option;
  if (const char* ip = std::getenv("TCPREMOTEIP")) return ip;
  return std::getenv("IP");
}

// Records the login; returns what went wrong, if anything.
std::optional<Problem> record_login(const char* ip_option, const char* store_option,
                                    ToolStores& stores) {
  const char* ip_text = client_ip_text(ip_option);
  if (ip_text == nullptr)
    return Problem{100, "no client IP: use -i or set $TCPREMOTEIP or $IP", true};
  std::optional<std::string> ip = canonical_ip_text(ip_text);
  if (!ip) return Problem{100, std::string("not an IP address: ") + ip_text, true};
  const char* store = store_text(store_option);
  if (store == nullptr) return Problem{100, "no store: use -s or set $RELAY_STORE"};
  StoreSpec spec;
  try {
    spec = parse_store_spec(store);
  } catch (const StoreError& e) {
    return Problem{100, e.what()};
  }
  try {
    stores.open_admin(spec)->record(*ip, unix_now());
  } catch (const StoreError& e) {
    return Problem{111, "unable to record " + *ip + ": " + e.what()};
  }
  return std::nullopt;
}

}  // namespace

int ucspi::relay_allow_main(int argc, char** argv, ToolStores& stores) {
  const char* ip_option = nullptr;
  const char* store_option = nullptr;
  ::opterr = 0;  // our usage line instead of getopt's message
  int opt;
  // '+': options end at the program name, so the program's own options are left alone.
  while ((opt = ::getopt(argc, argv, "+s:i:")) != -1) {
    switch (opt) {
      case 's': store_option = optarg; break;
      case 'i': ip_option = optarg; break;
      default: die(100, {usage});
    }
  }
  char** program = argv + optind;
  const bool have_program = *program != nullptr;

  if (std::optional<Problem> problem = record_login(ip_option, store_option, stores)) {
    if (!have_program || problem->fails_login)
      die(problem->exit_code, {"relay-allow: fatal: ", problem->text});
    print_line({"relay-allow: warning: ", problem->text});
  }
  if (!have_program) return 0;
  ::execvp(program[0], program);
  die(111, {"relay-allow: fatal: unable to run ", program[0], ": ", error_str(errno)});
}
