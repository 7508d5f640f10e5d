#include "tools/tool_args.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "rules/base/messages.h"
#include "rules/roaming/roaming_time.h"
#include "rules/roaming/store_factory.h"

namespace ucspi {

void Usage::die() const { ucspi::die(100, {prog, ": usage: ", line}); }

void Usage::die(std::string_view problem) const {
  print_line({prog, ": fatal: ", problem});
  die();
}

void parse_options(int argc, char** argv, const char* optstring, const Usage& usage,
                   const std::function<void(int option, const char* value)>& on_option) {
  ::opterr = 0;  // our usage line instead of getopt's message
  int opt;
  while ((opt = ::getopt(argc, argv, optstring)) != -1) {
    if (opt == '?' || opt == ':') usage.die();
    on_option(opt, ::optarg);
  }
}

std::optional<mode_t> parse_mode(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  mode_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    value = value * 8 + static_cast<mode_t>(c - '0');
  }
  if (value > 0777) return std::nullopt;  // no setuid, setgid or sticky bit on a data file
  return value;
}

StoreSpec store_option(const char* text, const Usage& usage) {
  try {
    return parse_store_spec(text);
  } catch (const StoreError& e) {
    usage.die(e.what());
  }
}

std::int64_t window_option(const char* text, const Usage& usage) {
  std::optional<std::int64_t> window = parse_window_seconds(text);
  if (!window) usage.die(std::string("bad window: ") + text + ": want seconds, 1 or more");
  return *window;
}

mode_t mode_option(const char* text, const Usage& usage) {
  std::optional<mode_t> mode = parse_mode(text);
  if (!mode) usage.die(std::string("bad mode: ") + text + ": want octal permissions, 0 to 0777");
  return *mode;
}

StoreSpec environment_store() {
  const char* text = std::getenv("RELAY_STORE");
  if (text == nullptr) throw StoreError("no store: use -s or set $RELAY_STORE");
  return parse_store_spec(text);
}

StoreSpec chosen_store(const std::optional<StoreSpec>& option, mode_t new_file_mode,
                       const Usage& usage) {
  StoreSpec spec;
  try {
    spec = option ? *option : environment_store();
  } catch (const StoreError& e) {
    die(100, {usage.prog, ": fatal: ", e.what()});
  }
  spec.new_file_mode = new_file_mode;
  return spec;
}

AdminArgs parse_admin_args(int argc, char** argv, const Usage& usage) {
  std::optional<StoreSpec> spec;
  std::optional<std::int64_t> window;
  parse_options(argc, argv, "s:w:", usage, [&](int option, const char* value) {
    if (option == 's') spec = store_option(value, usage);
    else window = window_option(value, usage);
  });
  if (optind != argc) usage.die();
  const std::string fatal = std::string(usage.prog) + ": fatal: ";
  try {
    if (!spec) spec = environment_store();
  } catch (const StoreError& e) {
    die(100, {fatal, e.what()});
  }
  try {
    return AdminArgs{*spec, store_window(*spec, window)};
  } catch (const StoreError& e) {
    die(111, {fatal, e.what()});  // e.g. an unreadable MySQL config
  }
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace ucspi
