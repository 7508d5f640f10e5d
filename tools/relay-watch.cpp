// relay-watch [ -s store ] [ -f format | -e regex ] [ -t statefile ] [ -w seconds ] [ -m mode ]
//   logfile
// For POP/IMAP servers that cannot run relay-allow after a login (pop-before-smtp's job):
// follows logfile (watch_follower.h) and records the client of each successful login it reads
// (watch_matcher.h) into the store, as relay-allow would (watch_recorder.h). It runs in the
// foreground for ever, under supervise or systemd, and logs on stderr one line per login
// recorded or skipped and per event of the file (rotation, truncation).
//
// -t keeps the position in statefile after every recorded login, so a restart goes on where
// the last run stopped, finishing a file rotated meanwhile; without -t a restart starts at the
// end of the file and the logins written while relay-watch was down are not recorded.
//
// Exit 100 for a bad command line or a missing store name (like the other tools), 111 when the
// state file cannot be read. Nothing the log or the store does ends it: a missing log file is
// waited for, and a store that fails is a warning for that login (the next one tries again).
#include <sys/types.h>
#include <time.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "rules/base/messages.h"
#include "rules/roaming/store_factory.h"
#include "tools/tool_args.h"
#include "tools/watch_follower.h"
#include "tools/watch_matcher.h"
#include "tools/watch_recorder.h"
#include "tools/watch_state.h"
#include "tools/watch_time.h"

using namespace ucspi;

namespace {

constexpr Usage usage{"relay-watch",
                      "relay-watch [ -s store ] [ -f format | -e regex ] [ -t statefile ] "
                      "[ -w seconds ] [ -m mode ] logfile"};
constexpr std::string_view fatal = "relay-watch: fatal: ";

struct WatchArgs {
  std::optional<StoreSpec> store;         // -s
  std::optional<LogFormat> format;        // -f
  const char* regex = nullptr;            // -e
  const char* state = nullptr;            // -t
  std::optional<std::int64_t> window;     // -w
  mode_t new_file_mode = default_store_file_mode;
  std::string log;
};

LogFormat format_option(const char* text) {
  const std::optional<LogFormat> format = parse_log_format(text);
  if (!format) usage.die(std::string("bad format: ") + text + ": want all, dovecot, courier or vchkpw");
  return *format;
}

WatchArgs parse_args(int argc, char** argv) {
  WatchArgs args;
  parse_options(argc, argv, "s:f:e:t:w:m:", usage, [&](int option, const char* value) {
    switch (option) {
      case 's': args.store = store_option(value, usage); break;
      case 'f': args.format = format_option(value); break;
      case 'e': args.regex = value; break;
      case 't': args.state = value; break;
      case 'w': args.window = window_option(value, usage); break;
      default: args.new_file_mode = mode_option(value, usage); break;  // 'm'
    }
  });
  if (args.format && args.regex) usage.die("-f and -e exclude each other");
  if (optind + 1 != argc) usage.die();
  args.log = argv[optind];
  return args;
}

LoginMatcher make_matcher(const WatchArgs& args) {
  if (!args.regex) return LoginMatcher(args.format.value_or(LogFormat::all));
  try {
    return LoginMatcher(std::make_unique<LoginRegex>(args.regex));
  } catch (const std::invalid_argument& e) {
    usage.die(e.what());
  }
}

// The window beyond which a login is not recorded: -w, else the store's own.
std::int64_t login_window(const StoreSpec& spec, std::optional<std::int64_t> requested) {
  try {
    return store_window(spec, requested);
  } catch (const StoreError& e) {
    print_line({"relay-watch: warning: ", e.what(), ": taking a window of ",
                std::to_string(default_relay_window), " s"});
    return default_relay_window;
  }
}

// The state file (-t): saves each new position, and says once when saving starts to fail
// (a restart would then read again what was read since: the same records, written again).
class StateKeeper {
 public:
  explicit StateKeeper(const char* path) : path_(path ? path : "") {}

  std::optional<FilePosition> load() const {
    if (path_.empty()) return std::nullopt;
    try {
      return load_position(path_);
    } catch (const std::runtime_error& e) {
      die(111, {fatal, e.what()});
    }
  }

  void keep(const FilePosition& position) {
    if (path_.empty() || position == saved_) return;
    try {
      save_position(path_, position);
      saved_ = position;
      failing_ = false;
    } catch (const StoreError& e) {
      if (!failing_) print_line({"relay-watch: warning: unable to save the position: ", e.what()});
      failing_ = true;
    }
  }

 private:
  std::string path_;
  FilePosition saved_;
  bool failing_ = false;
};

void sleep_a_second() {
  timespec second{1, 0};
  while (::nanosleep(&second, &second) != 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  const WatchArgs args = parse_args(argc, argv);
  const LoginMatcher matcher = make_matcher(args);
  const StoreSpec spec = chosen_store(args.store, args.new_file_mode, usage);
  // The relay-ctrl store writes these into each file it records: relay-watch's own USER is not
  // the client's.
  ::unsetenv("USER");
  ::unsetenv("DOMAIN");
  LoginRecorder recorder(spec, login_window(spec, args.window));
  StateKeeper state(args.state);
  LogFollower follower(args.log, state.load(), [](const std::string& text) {
    print_line({"relay-watch: ", text});
  });
  print_line({"relay-watch: info: watching ", args.log});
  for (;;) {
    follower.poll([&](std::string_view line, const FilePosition& after) {
      const std::optional<std::string> address = matcher.address(line);
      if (!address) return;
      const std::int64_t now = unix_now();
      recorder.record(*address, line_timestamp(line, now), now);
      state.keep(after);  // at once: a restart must not record this login again
    });
    state.keep(follower.position());
    sleep_a_second();
  }
}
