// What relay-allow, relay-clear, relay-list and relay-import share on their command lines.
//
// A bad option value is a usage error: "PROG: fatal: WHAT" and the usage line, exit 100, for
// a command line is fixed configuration (a run file, a Dovecot script) and wrong at every run.
// Only relay-allow's client IP is exempt, being data (-i "$IP"): see relay-allow.cpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "rules/roaming/store_spec.h"
#include "tools/tool_stores.h"

namespace ucspi {

// A tool's name and usage line, for its command-line errors (exit 100).
struct Usage {
  std::string_view prog;  // "relay-clear"
  std::string_view line;  // "relay-clear [ -s store ] [ -w seconds ]"

  [[noreturn]] void die() const;                          // "PROG: usage: LINE"
  [[noreturn]] void die(std::string_view problem) const;  // "PROG: fatal: PROBLEM", then die()
};

// getopt over argv with optstring (opterr off), on_option(option, value) for each option;
// an unknown option or one without its value is usage.die().
void parse_options(int argc, char** argv, const char* optstring, const Usage& usage,
                   const std::function<void(int option, const char* value)>& on_option);

// Permission bits in octal: 1 to 4 octal digits, at most 0777 (e.g. 0640 or 640).
std::optional<mode_t> parse_mode(std::string_view text);

// Option values, or usage.die() saying what the option wants.
StoreSpec store_option(const char* text, const Usage& usage);      // -s
std::int64_t window_option(const char* text, const Usage& usage);  // -w
mode_t mode_option(const char* text, const Usage& usage);          // -m

// The store named by $RELAY_STORE, the tools' default when -s is not given. Throws StoreError
// when it is unset or names no store.
StoreSpec environment_store();

// -s if given, else $RELAY_STORE, with new_file_mode (-m) for a file it creates; for a tool that
// cannot go on without one: "PROG: fatal: no store: ..." and exit 100.
StoreSpec chosen_store(const std::optional<StoreSpec>& option, mode_t new_file_mode,
                       const Usage& usage);

// For relay-clear and relay-list: [-s STORE] [-w SECONDS], nothing else. Dies with the usage
// line (exit 100) on bad options, and "PROG: fatal: ..." (100 for a bad or missing
// $RELAY_STORE, 111 when the store's default window cannot be read).
struct AdminArgs {
  StoreSpec spec;
  std::int64_t window;
};
AdminArgs parse_admin_args(int argc, char** argv, const Usage& usage);

// Seconds since 1970 now.
std::int64_t unix_now();

}  // namespace ucspi
