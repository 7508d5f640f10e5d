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

#include <cstdint>
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

// What becomes of each line: a login recorded, or skipped with a warning when the line is
// ambiguous, or when it has no readable timestamp in a file read from its start that was
// written while relay-watch was not running (stamping such a login now would give a login of
// any age a fresh window; those are counted and told once the catching up is over).
class LineHandling {
 public:
  LineHandling(const LoginMatcher& matcher, LoginRecorder& recorder, StateKeeper& state)
      : matcher_(matcher), recorder_(recorder), state_(state) {}

  void handle(std::string_view line, const FilePosition& after, bool catching_up) {
    const LoginMatcher::Found found = matcher_.match(line);
    if (!found.doubt.empty())
      print_line({"relay-watch: warning: skipped a login line ending at offset ",
                  std::to_string(after.offset), ": ", found.doubt});
    if (!found.address) return;
    const std::int64_t now = unix_now();
    const std::optional<std::int64_t> time = line_timestamp(line, now);
    if (!time && catching_up) {
      ++undated_;
      return;
    }
    recorder_.record(*found.address, time, now);
    state_.keep(after);  // at once: a restart must not record this login again
  }

  void caught_up() {
    if (undated_ == 0) return;
    print_line({"relay-watch: warning: skipped ", std::to_string(undated_),
                " logins without a readable timestamp, written while relay-watch was not running: "
                "their age is unknown"});
    undated_ = 0;
  }

 private:
  const LoginMatcher& matcher_;
  LoginRecorder& recorder_;
  StateKeeper& state_;
  std::uint64_t undated_ = 0;
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
  LineHandling handling(matcher, recorder, state);
  for (;;) {
    follower.poll([&](std::string_view line, const FilePosition& after) {
      handling.handle(line, after, follower.catching_up());
    });
    if (!follower.catching_up()) handling.caught_up();
    state.keep(follower.position());
    sleep_a_second();
  }
}
