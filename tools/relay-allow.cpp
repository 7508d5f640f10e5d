// relay-allow [ -s store ] [ -i ip ] [ -m mode ] [ program [ arg ... ] ]
// Records "this IP just logged in by POP/IMAP" in the roaming store, then execs program with
// the same arguments and environment (PATH search like execvp), so it slots into a
// checkpassword chain (vchkpw-style: `... checkpassword relay-allow qmail-pop3d Maildir`) or a
// Dovecot post-login script (`exec relay-allow "$@"`).
//
// The IP is -i, else $TCPREMOTEIP (tcpserver), else $IP (Dovecot); it is stored in canonical
// form (v4-mapped -> dotted quad, IPv6 -> RFC 5952). The store is -s, else $RELAY_STORE:
// cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR (a mysql: store is recorded by relay-mysql,
// run as a child, so that a helper that cannot even start never takes the login with it:
// helper_recorder.h). A store file this
// program creates gets mode -m (octal, default 0644) whatever the umask (Dovecot runs
// post-login scripts under 0077, and tcpserver reads the store as its -u user); one it
// rewrites keeps the mode and owner it had.
//
// With a program, nothing but the command line stops the login: a missing, empty or garbage
// IP (Dovecot leaves $IP empty for a local login, and -i "$IP" passes that on), a missing or
// bad $RELAY_STORE and a store failure print "relay-allow: warning: ...", record nothing,
// and the program runs anyway: the recording is a convenience, the login is the service.
// (relay-ctrl-allow killed such logins, IPv6 ones included, a known complaint.) Without a
// program they are fatal: exit 100 for bad input, 111 for a store failure. A bad command line
// (an unknown option, -s naming no store, a bad -m) is the usage line and exit 100 even with
// a program: it is wrong at every login, so the first test of the setup shows it. An exec
// failure is exit 111.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "rules/base/exec_path.h"
#include "rules/base/ip_address.h"
#include "rules/base/messages.h"
#include "tools/tool_args.h"
#include "tools/tool_stores.h"

using namespace ucspi;

namespace {

constexpr Usage usage{"relay-allow",
                      "relay-allow [ -s store ] [ -i ip ] [ -m mode ] [ program [ arg ... ] ]"};

struct AllowArgs {
  std::optional<StoreSpec> store;  // -s
  const char* ip = nullptr;        // -i
  mode_t new_file_mode = default_store_file_mode;
  char** program = nullptr;  // null-terminated; empty when none
};

struct Problem {
  int exit_code;
  std::string text;
};

AllowArgs parse_args(int argc, char** argv) {
  AllowArgs args;
  // '+': options end at the program name, so the program's own options are left alone.
  parse_options(argc, argv, "+s:i:m:", usage, [&](int option, const char* value) {
    switch (option) {
      case 's': args.store = store_option(value, usage); break;
      case 'i': args.ip = value; break;
      default: args.new_file_mode = mode_option(value, usage); break;  // 'm'
    }
  });
  args.program = argv + optind;
  return args;
}

struct IpText {
  std::string source;  // for messages: "-i", "$TCPREMOTEIP" or "$IP"
  const char* text;
};

// -i, else $TCPREMOTEIP, else $IP; nullopt when none is given.
std::optional<IpText> client_ip_text(const char* option) {
  if (option != nullptr) return IpText{"-i", option};
  for (const char* variable : {"TCPREMOTEIP", "IP"})
    if (const char* text = std::getenv(variable)) return IpText{std::string("$") + variable, text};
  return std::nullopt;
}

// The client's address in canonical form, or what is wrong with it.
std::optional<Problem> find_client_ip(const char* option, std::string& ip) {
  std::optional<IpText> given = client_ip_text(option);
  if (!given) return Problem{100, "no client IP: use -i or set $TCPREMOTEIP or $IP"};
  if (*given->text == '\0') return Problem{100, "no client IP: " + given->source + " is empty"};
  std::optional<std::string> canonical = canonical_ip_text(given->text);
  if (!canonical)
    return Problem{100, "not an IP address in " + given->source + ": " + given->text};
  ip = std::move(*canonical);
  return std::nullopt;
}

// Records the login; returns what went wrong, if anything.
std::optional<Problem> record_login(const AllowArgs& args, ToolStores& stores) {
  std::string ip;
  if (std::optional<Problem> problem = find_client_ip(args.ip, ip)) return problem;
  StoreSpec spec;
  try {
    spec = args.store ? *args.store : environment_store();
  } catch (const StoreError& e) {
    return Problem{100, e.what()};
  }
  spec.new_file_mode = args.new_file_mode;
  try {
    stores.open_admin(spec)->record(ip, unix_now());
  } catch (const StoreError& e) {
    return Problem{111, "unable to record " + ip + ": " + e.what()};
  }
  return std::nullopt;
}

// A cdb store rewritten in place (`cat new > relay.cdb`, not renamed) while this program has it
// mapped raises SIGBUS. The login must still run: the handler says why nothing was recorded
// and execs the program itself, from paths looked up before the store was opened (execve and
// write are all it calls: both are async-signal-safe).
struct LoginExec {
  std::vector<std::string> paths;
  char** argv = nullptr;
};
const LoginExec* login_exec = nullptr;

extern "C" void on_sigbus(int) {
  static constexpr char warning[] =
      "relay-allow: warning: unable to record: the store changed under the reader (SIGBUS)\n";
  [[maybe_unused]] const ssize_t n = ::write(2, warning, sizeof warning - 1);
  if (login_exec)
    for (const std::string& path : login_exec->paths) ::execve(path.c_str(), login_exec->argv, environ);
  ::_exit(111);
}

void handle_sigbus(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace

int ucspi::relay_allow_main(int argc, char** argv, ToolStores& stores) {
  const AllowArgs args = parse_args(argc, argv);
  const bool have_program = *args.program != nullptr;
  LoginExec exec;
  if (have_program) {
    exec.paths = exec_candidates(args.program[0], std::getenv("PATH"));
    exec.argv = args.program;
  }
  login_exec = have_program ? &exec : nullptr;
  handle_sigbus(on_sigbus);
  if (std::optional<Problem> problem = record_login(args, stores)) {
    if (!have_program) die(problem->exit_code, {"relay-allow: fatal: ", problem->text});
    print_line({"relay-allow: warning: ", problem->text});
  }
  handle_sigbus(SIG_DFL);  // the store is closed: the program starts with djb's defaults
  if (!have_program) return 0;
  ::execvp(args.program[0], args.program);
  die_sys(errno, {"relay-allow: fatal: unable to run ", args.program[0]});
}
