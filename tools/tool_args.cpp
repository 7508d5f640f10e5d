#include "tool_args.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "messages.h"

namespace ucspi {
namespace {

StoreSpec spec_or_die(const char* text, const std::string& fatal) {
  try {
    return parse_store_spec(text);
  } catch (const StoreError& e) {
    die(100, {fatal, e.what()});
  }
}

}  // namespace

const char* store_text(const char* option) {
  return option != nullptr ? option : std::getenv("RELAY_STORE");
}

std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value == 0) return std::nullopt;
  return value;
}

AdminArgs parse_admin_args(int argc, char** argv, ToolStores& stores, std::string_view prog,
                           std::string_view usage) {
  const std::string fatal = std::string(prog) + ": fatal: ";
  const char* store_option = nullptr;
  std::optional<std::int64_t> window;
  ::opterr = 0;  // our usage line instead of getopt's message
  int opt;
  while ((opt = ::getopt(argc, argv, "s:w:")) != -1) {
    switch (opt) {
      case 's': store_option = optarg; break;
      case 'w':
        window = parse_seconds(optarg);
        if (!window) die(100, {fatal, "bad window: ", optarg, ": want seconds, 1 or more"});
        break;
      default: die(100, {prog, ": usage: ", usage});
    }
  }
  if (optind != argc) die(100, {prog, ": usage: ", usage});
  const char* text = store_text(store_option);
  if (text == nullptr) die(100, {fatal, "no store: use -s or set $RELAY_STORE"});
  StoreSpec spec = spec_or_die(text, fatal);
  try {
    return AdminArgs{spec, stores.window(spec, window)};
  } catch (const StoreError& e) {
    die(111, {fatal, e.what()});  // e.g. an unreadable MySQL config
  }
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace ucspi
