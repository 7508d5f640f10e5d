// tcpserver: accept TCP connections and run a program for each, as djb's ucspi-tcp 0.88
// tcpserver does, with the same options, environment, messages, log lines and exit codes.
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "rules/base/error_str.h"
#include "rules/event/event_handles.h"
#include "tcpserver/listen_address.h"
#include "tcpserver/listener.h"
#include "tcpserver/log_lines.h"
#include "tcpserver/logger.h"
#include "tcpserver/options.h"
#include "tcpserver/server.h"
#include "tcpserver/inherited_fds.h"
#include "tcpserver/store_setup.h"

using namespace ucspi;

namespace {

constexpr std::string_view fatal = "tcpserver: fatal: ";

[[noreturn]] void die(const Logger& log, const std::string& text) {
  log.warn(std::string(fatal) + text + "\n");
  _exit(111);
}

[[noreturn]] void die_sys(const Logger& log, const std::string& text, int err) {
  die(log, text + ": " + error_str(err));
}

[[noreturn]] void usage(const Logger& log) {
  log.warn(std::string(usage_line()) + "\n");
  _exit(100);
}

// libevent's messages as our warnings (-q silences them too). libevent takes a plain function,
// so the logger it writes through is the one global here; main sets it before any event code.
const Logger* libevent_logger = nullptr;

void route_libevent_log(const Logger& log) {
  libevent_logger = &log;
  event_set_log_callback([](int severity, const char* message) {
    const std::string line = libevent_warning_line(severity, message);
    if (libevent_logger && !line.empty()) libevent_logger->warn(line);
  });
}

void on_sigterm(int) { _exit(0); }

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void drop_privileges(const Logger& log, const Options& o) {
  if (o.gid) {
    auto gid = static_cast<gid_t>(o.gid);
    if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0) die_sys(log, "unable to set gid", errno);
  }
  if (o.uid) {
    if (::setuid(static_cast<uid_t>(o.uid)) != 0) die_sys(log, "unable to set uid", errno);
  }
}

// djb closes fds 0 and 1 here. We put /dev/null there instead, so an accepted socket can never
// land on 0 or 1, where dup2(s, s) would leave it close-on-exec in the child.
void detach_stdio() {
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) {
    ::close(0);
    ::close(1);
    return;
  }
  ::dup2(null, 0);
  ::dup2(null, 1);
  if (null > 1) ::close(null);
}

void print_port(unsigned short port) {
  std::string line = std::to_string(port) + "\n";
  ssize_t ignored = ::write(1, line.data(), line.size());
  (void)ignored;
}

// Everything after the command line; any exception that reaches here is a resource tcpserver
// could not get at startup (memory, above all, under softlimit).
int serve(const Options& options, const Logger& log, const InheritedFds& inherited) {
  PortResult port = parse_port(*options.port);
  if (!port.ok) die(log, "unable to figure out port number for " + *options.port);
  if (options.program.empty()) usage(log);

  install_signals();

  unsigned scope_id = options.interface.empty() ? 0 : if_nametoindex(options.interface.c_str());
  HostResult host = resolve_listen_host(*options.host, options.ipv4_only, scope_id);
  if (host.status == HostResult::Status::temporary_failure)
    die_sys(log, "temporarily unable to figure out IP address for " + *options.host, host.error);
  if (host.status == HostResult::Status::no_address) die(log, "no IP address for " + *options.host);

  Listener listener;
  try {
    listener = open_listener(host, port.port, options.backlog);
  } catch (const ListenerError& e) {
    die_sys(log, e.operation, e.err);
  }
  drop_privileges(log, options);

  EventBasePtr base(event_base_new());
  if (!base) die(log, "unable to create the event loop: out of memory");
  ChildRegistry children;
  RoamingSetup roaming;
  if (options.store) {
    try {
      roaming = open_roaming_store(*options.store, base.get(), options.window, log, children);
    } catch (const StoreError& e) {
      die(log, std::string("unable to open roaming store: ") + e.what());
    }
  }

  if (options.print_port) print_port(listener.port);
  detach_stdio();

  Server server(options, base.get(), std::move(listener.fd), log, std::move(roaming), children,
                inherited);
  return server.run();
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a descriptor: what we were given is what children inherit.
  occupy_standard_fds();
  const InheritedFds inherited = InheritedFds::capture();
  Options options;
  ParsedCommandLine parsed = parse_options(argc, argv, options);
  Logger loud(1);
  if (parsed.status == ParsedCommandLine::Status::usage) {
    for (const std::string& line : parsed.parse_messages) loud.warn(line + "\n");
    usage(loud);
  }
  // -q silences everything from here on, usage and fatal messages included (as djb's).
  const Logger log(options.verbosity);
  route_libevent_log(log);
  if (!options.host || !options.port) usage(log);
  try {
    return serve(options, log, inherited);
  } catch (const std::bad_alloc&) {
    die(log, "out of memory");
  } catch (const std::exception& e) {
    die(log, e.what());
  }
}
