#include "tools/bench/tcpserver-bench/signal_cleanup.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>

extern char** environ;

namespace ucspi::bench {
namespace {

constexpr std::size_t max_commands = 4;
constexpr std::size_t max_args = 8;

// A command ready for execve: the strings are owned here and never reallocated while the
// slot is armed, so that the handler reads nothing but stable pointers.
struct Command {
  std::vector<std::string> strings;
  std::array<char*, max_args + 1> argv{};
  std::atomic<bool> armed{false};
};
std::array<Command, max_commands> commands;
std::atomic<bool> cleaning{false};

void run(const Command& c) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execve(c.argv[0], c.argv.data(), environ);
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

extern "C" void on_signal(int signal) {
  // A second signal while cleaning (an impatient ^C) waits for the first's commands.
  if (!cleaning.exchange(true))
    for (std::size_t i = max_commands; i-- > 0;)
      if (commands[i].armed.exchange(false)) run(commands[i]);
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);  // the commands run once, whichever signal came first
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &sa, nullptr);
}

SignalCleanup::SignalCleanup(std::vector<std::string> argv) : slot_(max_commands) {
  if (argv.empty() || argv.size() > max_args) throw std::logic_error("a cleanup command of 1 to 8 words");
  for (std::size_t i = 0; i < max_commands && slot_ == max_commands; ++i)
    if (!commands[i].armed.load() && commands[i].strings.empty()) slot_ = i;
  if (slot_ == max_commands) throw std::logic_error("too many cleanup commands at once");
  Command& c = commands[slot_];
  c.strings = std::move(argv);
  for (std::size_t k = 0; k < c.strings.size(); ++k) c.argv[k] = c.strings[k].data();
  c.argv[c.strings.size()] = nullptr;
  c.armed = true;
}

SignalCleanup::~SignalCleanup() {
  Command& c = commands[slot_];
  // Disarmed before the strings go: a signal now finds nothing to run in this slot.
  if (c.armed.exchange(false) || !cleaning.load()) c.strings.clear();
}

}  // namespace ucspi::bench
